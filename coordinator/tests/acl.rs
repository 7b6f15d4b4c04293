//! ACLs: the world, auth, digest and ip schemes; every permission bit enforced with NoAuth
//! (create/delete need the parent's CREATE/DELETE, setData WRITE, reads READ, getACL READ or
//! ADMIN, setACL ADMIN, exists nothing); digest ids as `user:BASE64(SHA1(user:password))`;
//! InvalidACL cases; setACL checked against and bumping aversion; getACL hiding digest hashes
//! from non-admins; whoAmI; the super digest; AuthFailed for an unknown scheme.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod support;

use base64::Engine as _;
use sha1::{Digest as _, Sha1};
use support::*;
use testkit::jute::{code, op, perm, request, xid, JuteWriter};
use zookeeper_client::{
    Acl, Acls, AuthId, AuthUser, Client, CreateMode, Error, MultiWriteError, Permission,
};

/// The digest scheme's id for `user:password`.
fn digest_id(user_password: &str) -> String {
    let user = user_password.split(':').next().unwrap();
    let hash =
        base64::engine::general_purpose::STANDARD.encode(Sha1::digest(user_password.as_bytes()));
    format!("{user}:{hash}")
}

/// A raw ACL entry: (perms, scheme, id).
type RawAcl<'a> = (i32, &'a str, &'a str);

fn world(permission: Permission) -> Vec<Acl> {
    vec![Acl::new(permission, AuthId::new("world", "anyone"))]
}

async fn authenticated(server: &testkit::CoordinatorProcess, user_password: &str) -> Client {
    connect_with(
        server,
        Client::connector()
            .with_session_timeout(SESSION_TIMEOUT)
            .with_auth("digest", user_password.as_bytes()),
    )
    .await
}

#[test]
fn digest_ids_hash_user_and_password() {
    assert_eq!(digest_id("bob:pw"), "bob:ikIaKsbtGweaHnb/jKn7OHqbunM=");
    assert_eq!(
        digest_id("alice:secret"),
        "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E="
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn digest_auth_and_the_auth_scheme() {
    let server = start_server(&[]);
    let bob = authenticated(&server, "bob:pw").await;
    let anonymous = connect(&server).await;
    let impostor = authenticated(&server, "bob:wrong").await;

    // The auth scheme expands to the creator's authenticated ids.
    within(
        "create",
        bob.create(
            "/bob",
            b"secret",
            &CreateMode::Persistent.with_acls(Acls::creator_all()),
        ),
    )
    .await
    .unwrap();
    let (acl, _) = within("get_acl", bob.get_acl("/bob")).await.unwrap();
    assert_eq!(
        acl,
        vec![Acl::new(
            Permission::ALL,
            AuthId::new("digest", "bob:ikIaKsbtGweaHnb/jKn7OHqbunM=")
        )]
    );
    let (data, _) = within("bob reads", bob.get_data("/bob")).await.unwrap();
    assert_eq!(data, b"secret");
    assert_eq!(
        within("anonymous reads", anonymous.get_data("/bob"))
            .await
            .unwrap_err(),
        Error::NoAuth
    );
    assert_eq!(
        within("wrong password reads", impostor.get_data("/bob"))
            .await
            .unwrap_err(),
        Error::NoAuth
    );
    assert_eq!(
        within("anonymous get_acl", anonymous.get_acl("/bob"))
            .await
            .unwrap_err(),
        Error::NoAuth
    );
    assert!(within("exists needs nothing", anonymous.check_stat("/bob"))
        .await
        .unwrap()
        .is_some());

    // Several identities: the auth scheme stores each one.
    within("alice auth", bob.auth("digest", b"alice:secret"))
        .await
        .unwrap();
    within(
        "create shared",
        bob.create(
            "/shared",
            b"",
            &CreateMode::Persistent.with_acls(Acls::creator_all()),
        ),
    )
    .await
    .unwrap();
    let (mut acl, _) = within("get_acl shared", bob.get_acl("/shared"))
        .await
        .unwrap();
    acl.sort_by(|left, right| left.id().cmp(right.id()));
    assert_eq!(
        acl,
        vec![
            Acl::new(
                Permission::ALL,
                AuthId::new("digest", &digest_id("alice:secret"))
            ),
            Acl::new(Permission::ALL, AuthId::new("digest", &digest_id("bob:pw"))),
        ]
    );

    // A digest ACL written by hand works for whoever authenticates as that user.
    let explicit = vec![Acl::new(
        Permission::READ,
        AuthId::new("digest", &digest_id("carol:x")),
    )];
    within(
        "create carol",
        anonymous.create(
            "/carol",
            b"c",
            &CreateMode::Persistent.with_acls(Acls::from(explicit.as_slice())),
        ),
    )
    .await
    .unwrap();
    let carol = authenticated(&server, "carol:x").await;
    assert_eq!(
        within("carol reads", carol.get_data("/carol"))
            .await
            .unwrap()
            .0,
        b"c"
    );
    assert_eq!(
        within("carol writes", carol.set_data("/carol", b"", None))
            .await
            .unwrap_err(),
        Error::NoAuth
    );

    // The auth scheme with no authenticated id is invalid.
    let result = within(
        "auth acl anonymous",
        anonymous.create(
            "/none",
            b"",
            &CreateMode::Persistent.with_acls(Acls::creator_all()),
        ),
    )
    .await;
    assert_eq!(result.unwrap_err(), Error::InvalidAcl);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_am_i_lists_the_sessions_identities() {
    let server = start_server(&[]);
    let anonymous = connect(&server).await;
    assert_eq!(
        within("whoami", anonymous.list_auth_users()).await.unwrap(),
        vec![AuthUser::new("ip", "127.0.0.1")]
    );
    let bob = authenticated(&server, "bob:pw").await;
    let mut users = within("whoami bob", bob.list_auth_users()).await.unwrap();
    users.sort_by(|left, right| left.scheme().cmp(right.scheme()));
    assert_eq!(
        users,
        vec![
            AuthUser::new("digest", "bob"),
            AuthUser::new("ip", "127.0.0.1")
        ]
    );
    // Authenticating twice as the same user adds nothing.
    within("auth again", bob.auth("digest", b"bob:pw"))
        .await
        .unwrap();
    assert_eq!(
        within("whoami again", bob.list_auth_users())
            .await
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_permission_is_enforced() {
    let server = start_server(&[]);
    let client = connect(&server).await;
    for path in [
        "/r",
        "/r/c",
        "/w",
        "/c",
        "/d",
        "/d/x",
        "/a",
        "/n",
        "/open",
        "/open/locked",
    ] {
        create(&client, path, b"data").await;
    }
    let restrict = |path: &'static str, permission: Permission| {
        let client = &client;
        async move {
            within("set_acl", client.set_acl(path, &world(permission), None))
                .await
                .unwrap();
        }
    };
    restrict("/r", Permission::READ).await;
    restrict("/w", Permission::WRITE).await;
    restrict("/c", Permission::CREATE).await;
    restrict("/d", Permission::DELETE).await;
    restrict("/a", Permission::ADMIN).await;
    restrict("/n", Permission::NONE).await;
    restrict("/open/locked", Permission::NONE).await;

    // READ: every read; nothing else.
    assert!(within("r get", client.get_data("/r")).await.is_ok());
    assert!(within("r list", client.list_children("/r")).await.is_ok());
    assert!(within("r count", client.count_descendants_number("/r"))
        .await
        .is_ok());
    assert!(within("r get_acl", client.get_acl("/r")).await.is_ok());
    assert_eq!(
        within("r set", client.set_data("/r", b"", None))
            .await
            .unwrap_err(),
        Error::NoAuth
    );
    assert_eq!(
        within("r create", client.create("/r/x", b"", &persistent()))
            .await
            .unwrap_err(),
        Error::NoAuth
    );
    assert_eq!(
        within("r delete child", client.delete("/r/c", None))
            .await
            .unwrap_err(),
        Error::NoAuth
    );
    assert_eq!(
        within(
            "r set_acl",
            client.set_acl("/r", &world(Permission::ALL), None)
        )
        .await
        .unwrap_err(),
        Error::NoAuth
    );

    // WRITE: setData only.
    assert!(within("w set", client.set_data("/w", b"new", None))
        .await
        .is_ok());
    assert_eq!(
        within("w get", client.get_data("/w")).await.unwrap_err(),
        Error::NoAuth
    );
    assert_eq!(
        within("w list", client.list_children("/w"))
            .await
            .unwrap_err(),
        Error::NoAuth
    );
    assert_eq!(
        within("w count", client.count_descendants_number("/w"))
            .await
            .unwrap_err(),
        Error::NoAuth
    );
    assert_eq!(
        within("w get_acl", client.get_acl("/w")).await.unwrap_err(),
        Error::NoAuth
    );
    // check (in a multi) needs READ.
    let mut writer = client.new_multi_writer();
    writer.add_check_version("/w", 1).unwrap();
    let error = within("w check", writer.commit()).await.unwrap_err();
    assert_eq!(
        error,
        MultiWriteError::OperationFailed {
            index: 0,
            source: Error::NoAuth
        }
    );

    // CREATE: children may be created, not deleted.
    assert!(
        within("c create", client.create("/c/x", b"", &persistent()))
            .await
            .is_ok()
    );
    assert_eq!(
        within("c delete", client.delete("/c/x", None))
            .await
            .unwrap_err(),
        Error::NoAuth
    );
    assert_eq!(
        within("c get", client.get_data("/c")).await.unwrap_err(),
        Error::NoAuth
    );

    // DELETE: children may be deleted, not created.
    assert!(within("d delete", client.delete("/d/x", None))
        .await
        .is_ok());
    assert_eq!(
        within("d create", client.create("/d/y", b"", &persistent()))
            .await
            .unwrap_err(),
        Error::NoAuth
    );

    // ADMIN: the ACL may be read and changed; the data may not be touched.
    assert!(within("a get_acl", client.get_acl("/a")).await.is_ok());
    assert_eq!(
        within("a get", client.get_data("/a")).await.unwrap_err(),
        Error::NoAuth
    );
    assert_eq!(
        within("a set", client.set_data("/a", b"", None))
            .await
            .unwrap_err(),
        Error::NoAuth
    );
    let stat = within(
        "a set_acl",
        client.set_acl("/a", &world(Permission::READ | Permission::ADMIN), None),
    )
    .await
    .unwrap();
    assert_eq!(stat.aversion, 2);
    assert!(within("a get after", client.get_data("/a")).await.is_ok());

    // No permission at all: only exists; the node's own ACL does not guard its deletion.
    assert!(within("n exists", client.check_stat("/n"))
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        within("n get", client.get_data("/n")).await.unwrap_err(),
        Error::NoAuth
    );
    assert_eq!(
        within("n get_acl", client.get_acl("/n")).await.unwrap_err(),
        Error::NoAuth
    );
    assert_eq!(
        within(
            "n set_acl",
            client.set_acl("/n", &world(Permission::ALL), None)
        )
        .await
        .unwrap_err(),
        Error::NoAuth
    );
    within("delete locked", client.delete("/open/locked", None))
        .await
        .unwrap();
    within("sync needs nothing", client.sync("/n"))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ip_scheme_matches_the_peer_address() {
    let server = start_server(&[]);
    let client = connect(&server).await;
    let cases = [
        ("/host", "127.0.0.1", true),
        ("/net", "127.0.0.0/8", true),
        ("/other", "10.0.0.0/8", false),
    ];
    for (path, address, _) in cases {
        let acl = vec![Acl::new(Permission::ALL, AuthId::new("ip", address))];
        within(
            "create",
            client.create(
                path,
                b"x",
                &CreateMode::Persistent.with_acls(Acls::from(acl.as_slice())),
            ),
        )
        .await
        .unwrap();
    }
    for (path, _, allowed) in cases {
        let result = within("get", client.get_data(path)).await;
        if allowed {
            assert_eq!(result.unwrap().0, b"x", "{path}");
        } else {
            assert_eq!(result.unwrap_err(), Error::NoAuth, "{path}");
        }
    }
}

#[test]
fn invalid_acls_are_rejected() {
    let server = start_server(&[]);
    let mut raw = raw_session(&server);
    let invalid: &[&[RawAcl<'_>]] = &[
        &[],
        &[(perm::ALL, "foo", "bar")],
        &[(perm::ALL, "auth", "")],
        &[(perm::ALL, "digest", "nocolon")],
        &[(perm::ALL, "ip", "300.1.1.1")],
        &[(perm::ALL, "ip", "10.0.0.0/33")],
        &[(perm::ALL, "world", "someone")],
        &[(perm::ALL, "world", "anyone"), (perm::ALL, "foo", "bar")],
    ];
    for acl in invalid {
        let reply = raw_call(&mut raw, op::CREATE, &request::create("/bad", None, acl, 0));
        assert_eq!(reply.err, code::INVALID_ACL, "create with {acl:?}");
    }
    assert_eq!(raw_exists(&mut raw, "/bad", false), None);

    // The digest scheme only checks the user:x shape; any ip with a valid mask; perms 0.
    let valid: &[(&str, &[RawAcl<'_>])] = &[
        ("/digest", &[(perm::ALL, "digest", "u:notahash")]),
        ("/net", &[(perm::ALL, "ip", "10.0.0.0/8")]),
        ("/none", &[(0, "world", "anyone")]),
    ];
    for (path, acl) in valid {
        let reply = raw_call(&mut raw, op::CREATE, &request::create(path, None, acl, 0));
        assert_eq!(reply.err, code::OK, "create with {acl:?}");
    }

    raw_create(&mut raw, "/target", b"");
    for acl in invalid {
        let body = JuteWriter::new()
            .string("/target")
            .acl(acl)
            .int(-1)
            .into_bytes();
        let reply = raw_call(&mut raw, op::SET_ACL, &body);
        assert_eq!(reply.err, code::INVALID_ACL, "setACL with {acl:?}");
    }
    assert_eq!(raw_exists(&mut raw, "/target", false).unwrap().aversion, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_acl_checks_and_bumps_the_acl_version() {
    let server = start_server(&[]);
    let client = connect(&server).await;
    let created = create(&client, "/v", b"d").await;

    let read_write = world(Permission::READ | Permission::WRITE | Permission::ADMIN);
    assert_eq!(
        within("stale", client.set_acl("/v", &read_write, Some(1)))
            .await
            .unwrap_err(),
        Error::BadVersion
    );
    let stat = within("set v0", client.set_acl("/v", &read_write, Some(0)))
        .await
        .unwrap();
    assert_eq!((stat.aversion, stat.version, stat.cversion), (1, 0, 0));
    assert_eq!(
        (stat.czxid, stat.mzxid, stat.mtime),
        (created.czxid, created.mzxid, created.mtime),
        "setACL is not a data change"
    );
    let (acl, read) = within("get_acl", client.get_acl("/v")).await.unwrap();
    assert_eq!((acl, read), (read_write.clone(), stat));
    // The data version is not the ACL version.
    within("set data", client.set_data("/v", b"e", None))
        .await
        .unwrap();
    assert_eq!(
        within("data version", client.set_acl("/v", &read_write, Some(0)))
            .await
            .unwrap_err(),
        Error::BadVersion
    );
    let stat = within(
        "set any",
        client.set_acl("/v", &world(Permission::ALL), None),
    )
    .await
    .unwrap();
    assert_eq!((stat.aversion, stat.version), (2, 1));
    assert_eq!(
        within(
            "missing",
            client.set_acl("/missing", &world(Permission::ALL), None)
        )
        .await
        .unwrap_err(),
        Error::NoNode
    );
}

#[test]
fn get_acl_hides_digest_hashes_from_non_admins() {
    let server = start_server(&[]);
    let mut bob = raw_session(&server);
    let reply = bob
        .call_with_xid(xid::AUTH, op::AUTH, &request::auth("digest", b"bob:pw"))
        .unwrap();
    assert_eq!((reply.xid, reply.err), (xid::AUTH, code::OK));
    let acl = [(perm::ALL, "auth", ""), (perm::READ, "world", "anyone")];
    assert_eq!(
        raw_call(&mut bob, op::CREATE, &request::create("/d", None, &acl, 0)).err,
        code::OK
    );

    let read_acl = |client: &mut testkit::RawClient| {
        let reply = raw_call(client, op::GET_ACL, &request::path("/d"));
        assert_eq!(reply.err, code::OK);
        let mut reader = reply.reader();
        let acl = reader.acl().unwrap();
        assert_eq!(reader.stat().unwrap().aversion, 0);
        acl
    };
    let hashed = digest_id("bob:pw");
    assert_eq!(
        read_acl(&mut bob),
        vec![
            (31, "digest".into(), hashed),
            (1, "world".into(), "anyone".into())
        ]
    );
    let mut reader = raw_session(&server);
    assert_eq!(
        read_acl(&mut reader),
        vec![
            (31, "digest".into(), "bob:x".into()),
            (1, "world".into(), "anyone".into())
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn super_digest_passes_every_check() {
    let super_id = digest_id("super:secret");
    let server = start_server(&[("DigestAuthenticationProvider.superDigest", &super_id)]);
    let bob = authenticated(&server, "bob:pw").await;
    let locked = vec![Acl::new(
        Permission::ALL,
        AuthId::new("digest", &digest_id("bob:pw")),
    )];
    within(
        "create",
        bob.create(
            "/locked",
            b"x",
            &CreateMode::Persistent.with_acls(Acls::from(locked.as_slice())),
        ),
    )
    .await
    .unwrap();
    let outsider = connect(&server).await;
    assert_eq!(
        within("outsider", outsider.get_data("/locked"))
            .await
            .unwrap_err(),
        Error::NoAuth
    );

    let root = authenticated(&server, "super:secret").await;
    assert_eq!(
        within("super reads", root.get_data("/locked"))
            .await
            .unwrap()
            .0,
        b"x"
    );
    within("super writes", root.set_data("/locked", b"y", None))
        .await
        .unwrap();
    within(
        "super sets the ACL",
        root.set_acl("/locked", &world(Permission::READ), None),
    )
    .await
    .unwrap();
    assert_eq!(
        within("outsider reads", outsider.get_data("/locked"))
            .await
            .unwrap()
            .0,
        b"y"
    );
}

#[test]
fn auth_with_an_unknown_scheme_fails_and_closes_the_connection() {
    let server = start_server(&[]);
    let mut raw = raw_session(&server);
    let reply = raw
        .call_with_xid(xid::AUTH, op::AUTH, &request::auth("nosuch", b"x"))
        .unwrap();
    assert_eq!((reply.xid, reply.err), (xid::AUTH, code::AUTH_FAILED));
    assert!(reply.body.is_empty());
    assert!(raw.wait_closed(STEP));
}
