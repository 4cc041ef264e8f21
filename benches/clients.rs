//! Real blocking clients built on crochet against the hand-built ones, in
//! one process, in alternating rounds: the PostgreSQL client of
//! `crochet_examples::postgres` against the `postgres` crate, and the HTTP
//! client of `crochet_examples::http` against `reqwest::blocking`.

#[path = "common/affinity.rs"]
mod affinity;
#[path = "clients/harness.rs"]
mod harness;
#[path = "clients/http.rs"]
mod http;
#[path = "clients/postgres.rs"]
mod postgres;

fn main() {
    if http::serve_if_child() {
        return;
    }
    let rounds = harness::rounds(5);
    postgres::run(rounds);
    http::run(rounds);
}
