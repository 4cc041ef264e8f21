use std::rc::Rc;

#[crochet::wait_for(timeout = "1s")]
async fn count(items: Rc<Vec<u32>>) -> usize {
    items.len()
}

/// Not `Clone`, so a `&self` method cannot take a copy of it to the reactor.
struct Client {
    name: String,
}

impl Client {
    #[crochet::wait_for(timeout = "1s")]
    async fn name(&self) -> String {
        self.name.clone()
    }
}

fn main() {}
