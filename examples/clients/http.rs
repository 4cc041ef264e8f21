//! A blocking HTTP client over hyper.
