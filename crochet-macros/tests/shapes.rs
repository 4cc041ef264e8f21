//! Shapes of functions the attributes accept. Most of the value is in
//! compiling: CI builds this file under `clippy -D warnings`, so the code
//! the attributes generate must be clean in a user's crate.

use std::fmt::Display;
use std::sync::Arc;
use std::time::Duration;

use crochet::Error;

const PATIENCE: Duration = Duration::from_secs(5);

/// A bare `#[must_use]` carries over to the `async fn`; the blocking
/// function returns a `Result`, which is `#[must_use]` already.
#[must_use]
#[crochet::wait_for(timeout = "1s", runtime = builtin)]
pub(crate) async fn answer() -> u32 {
    42
}

/// A body that never returns makes nothing around it unreachable.
#[crochet::wait_for(timeout = "1s", runtime = builtin)]
async fn unfinished(_input: String) -> u32 {
    todo!("not written yet")
}

/// An output with `impl Trait`, and generics bounded in a `where` clause.
#[crochet::wait_for(timeout = "1s", runtime = builtin)]
async fn show<T>(value: T) -> impl Display
where
    T: Display,
{
    format!("<{value}>")
}

/// `io::Result<T>` is flattened like `Result<T, std::io::Error>`.
#[crochet::wait_for(timeout = "1s", runtime = builtin)]
async fn read_nothing() -> std::io::Result<usize> {
    Ok(0)
}

mod alias {
    /// A one-argument alias that hides its error type.
    pub type Result<T> = std::result::Result<T, String>;
}

/// Other one-argument `Result` aliases are plain values: the attribute
/// cannot see their error type.
#[crochet::wait_for(timeout = "1s", runtime = builtin)]
async fn hidden_error() -> alias::Result<u8> {
    Err("inside".to_owned())
}

/// A const generic parameter.
#[crochet::run_in_reactor(runtime = builtin)]
async fn zeros<const N: usize>() -> [u8; N] {
    [0; N]
}

struct Service {
    name: String,
}

impl Service {
    /// `self: Arc<Self>` is moved into the work.
    #[crochet::run_in_reactor(runtime = builtin)]
    async fn describe(self: Arc<Self>, suffix: String) -> String {
        format!("{}{suffix}", self.name)
    }

    /// `mut self` too.
    #[crochet::wait_for(timeout = PATIENCE, runtime = builtin)]
    async fn rename(mut self, name: String) -> String {
        self.name = name;
        self.name
    }
}

#[test]
fn every_shape_works() {
    assert_eq!(answer(), Ok(42));
    assert_eq!(show(7).unwrap().to_string(), "<7>");
    let read: Result<usize, crochet::WorkError<std::io::Error>> = read_nothing();
    assert_eq!(read.unwrap(), 0);
    assert_eq!(hidden_error(), Ok(Err("inside".to_owned())));
    assert_eq!(zeros::<3>().wait(PATIENCE), Ok([0, 0, 0]));
    let service = Arc::new(Service {
        name: "svc".to_owned(),
    });
    assert_eq!(
        service.describe("!".to_owned()).wait(PATIENCE).unwrap(),
        "svc!"
    );
    let service = Service {
        name: "old".to_owned(),
    };
    assert_eq!(service.rename("new".to_owned()).unwrap(), "new");
}

#[test]
fn a_todo_body_panics_on_the_reactor() {
    crochet::set_unhandled_error_hook(|_| {});
    let Err(Error::Panicked(failure)) = unfinished(String::new()) else {
        panic!("expected the work to panic");
    };
    assert_eq!(failure.message(), "not yet implemented: not written yet");
}
