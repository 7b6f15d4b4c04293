//! Kafka's topic-name rules (`Topic.validate`): 1 to 249 characters from `[a-zA-Z0-9._-]`, not
//! `.` or `..`. Because metric names turn `.` into `_`, two topics that differ only there
//! collide; the controller refuses to create the second one.

use super::error::{LayoutError, TopicNameProblem};

/// Longest legal topic name: 255 (a file name) minus room for `-<partition>` and suffixes.
pub const MAX_TOPIC_NAME_LENGTH: usize = 249;

/// Checks a topic name against Kafka's rules.
pub fn validate(name: &str) -> Result<(), LayoutError> {
    problem(name).map_or(Ok(()), |problem| {
        Err(LayoutError::TopicName {
            name: name.to_string(),
            problem,
        })
    })
}

fn problem(name: &str) -> Option<TopicNameProblem> {
    if name.is_empty() {
        return Some(TopicNameProblem::Empty);
    }
    if name == "." || name == ".." {
        return Some(TopicNameProblem::DotOrDotDot);
    }
    let length = name.chars().count();
    if length > MAX_TOPIC_NAME_LENGTH {
        return Some(TopicNameProblem::TooLong {
            length,
            max: MAX_TOPIC_NAME_LENGTH,
        });
    }
    name.chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        .map(|character| TopicNameProblem::IllegalCharacter { character })
}

/// True if the name holds `.` or `_`, the characters that may collide.
pub fn has_collision_chars(name: &str) -> bool {
    name.contains(['.', '_'])
}

/// The name with every `.` replaced by `_`: two topics collide when these are equal.
pub fn unify_collision_chars(name: &str) -> String {
    name.replace('.', "_")
}

/// True if two distinct names would collide in metric names (`a.b` and `a_b`).
pub fn collides(first: &str, second: &str) -> bool {
    first != second && unify_collision_chars(first) == unify_collision_chars(second)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn problem_of(name: &str) -> TopicNameProblem {
        match validate(name) {
            Err(LayoutError::TopicName { problem, .. }) => problem,
            other => panic!("expected a topic-name error for {name:?}, got {other:?}"),
        }
    }

    #[test]
    fn legal_names_pass() {
        for name in ["t", "my-topic", "a.b_c-D9", "__consumer_offsets", "..."] {
            validate(name).unwrap();
        }
        validate(&"x".repeat(249)).unwrap();
    }

    #[test]
    fn illegal_names_say_why() {
        assert_eq!(problem_of(""), TopicNameProblem::Empty);
        assert_eq!(problem_of("."), TopicNameProblem::DotOrDotDot);
        assert_eq!(problem_of(".."), TopicNameProblem::DotOrDotDot);
        assert_eq!(
            problem_of(&"x".repeat(250)),
            TopicNameProblem::TooLong {
                length: 250,
                max: 249
            }
        );
        assert_eq!(
            problem_of("a/b"),
            TopicNameProblem::IllegalCharacter { character: '/' }
        );
        assert_eq!(
            problem_of("tópico"),
            TopicNameProblem::IllegalCharacter { character: 'ó' }
        );
        assert_eq!(
            problem_of("a b"),
            TopicNameProblem::IllegalCharacter { character: ' ' }
        );
        let message = validate("a/b").unwrap_err().to_string();
        assert!(
            message.contains("a/b") && message.contains("'/'"),
            "{message}"
        );
    }

    #[test]
    fn dot_and_underscore_collide() {
        assert!(has_collision_chars("a.b"));
        assert!(has_collision_chars("a_b"));
        assert!(!has_collision_chars("a-b"));
        assert!(collides("metrics.a", "metrics_a"));
        assert!(!collides("metrics.a", "metrics.a"));
        assert!(!collides("metrics-a", "metrics_a"));
        assert_eq!(unify_collision_chars("a.b_c"), "a_b_c");
    }
}
