//! The arguments of the attributes: `timeout`, `runtime` and `event_loop`.

use proc_macro2::{Span, TokenStream};
use quote::{quote_spanned, ToTokens};
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Ident, Lit, LitStr};

use crate::duration;

/// Which attribute is being expanded; they take different arguments.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    WaitFor,
    RunInReactor,
}

impl Kind {
    pub(crate) fn attribute(self) -> &'static str {
        match self {
            Kind::WaitFor => "#[wait_for]",
            Kind::RunInReactor => "#[run_in_reactor]",
        }
    }
}

/// The parsed arguments of one attribute.
pub(crate) struct Args {
    /// An expression of type `Duration`; only `#[wait_for]` has one.
    pub(crate) timeout: Option<TokenStream>,
    pub(crate) source: LoopSource,
    /// The canceller's expression, evaluated on each call: a closure that
    /// makes the cleanup's future.
    pub(crate) canceller: Option<Box<Expr>>,
}

/// Where the work goes.
pub(crate) enum LoopSource {
    /// The process-wide default loop, which may not exist yet.
    Default,
    /// A runtime's `setup()`, which always returns a loop.
    Setup(TokenStream),
    /// The user's expression, of type `EventLoop` or `&EventLoop`.
    Expr(Box<Expr>),
}

/// The runtimes `runtime = ..` accepts, and the `setup()` each one means.
const RUNTIMES: &[(&str, &str)] = &[
    ("tokio", "crochet::tokio::setup()"),
    ("smol", "crochet::smol::setup()"),
    ("async_std", "crochet::async_std::setup()"),
    ("builtin", "crochet::setup()"),
];

impl Args {
    /// Parses the attribute's arguments, e.g. `timeout = "1s", runtime = tokio`.
    pub(crate) fn parse(kind: Kind, tokens: TokenStream) -> syn::Result<Args> {
        let mut timeout = None;
        let mut runtime = None;
        let mut event_loop = None;
        let mut canceller = None;
        let parser = syn::meta::parser(|meta| {
            if meta.path.is_ident("timeout") {
                if kind == Kind::RunInReactor {
                    return Err(meta.error(
                        "#[run_in_reactor] takes no timeout: it returns at once, and the caller \
                         chooses one with `EventualResult::wait(timeout)`; use #[wait_for] to \
                         block with a timeout",
                    ));
                }
                set_once(&meta, &mut timeout, parse_timeout(&meta)?)
            } else if meta.path.is_ident("runtime") {
                set_once(&meta, &mut runtime, parse_runtime(&meta)?)
            } else if meta.path.is_ident("event_loop") {
                let expr: Expr = meta.value()?.parse()?;
                set_once(&meta, &mut event_loop, Box::new(expr))
            } else if meta.path.is_ident("canceller") {
                let expr: Expr = meta.value()?.parse()?;
                set_once(&meta, &mut canceller, Box::new(expr))
            } else {
                let expected = match kind {
                    Kind::WaitFor => "`timeout`, `runtime`, `event_loop` or `canceller`",
                    Kind::RunInReactor => "`runtime`, `event_loop` or `canceller`",
                };
                Err(meta.error(format_args!(
                    "unknown argument of {}: expected {expected}",
                    kind.attribute()
                )))
            }
        });
        syn::parse::Parser::parse2(parser, tokens)?;

        let source = match (runtime, event_loop) {
            (Some(_), Some(expr)) => {
                return Err(syn::Error::new(
                    expr.span(),
                    "give either `runtime` or `event_loop`, not both",
                ))
            }
            (Some(setup), None) => LoopSource::Setup(setup),
            (None, Some(expr)) => LoopSource::Expr(expr),
            (None, None) => LoopSource::Default,
        };
        if kind == Kind::WaitFor && timeout.is_none() {
            return Err(syn::Error::new(
                Span::call_site(),
                "#[wait_for] needs a timeout: write #[wait_for(timeout = \"1s\")] or \
                 #[wait_for(timeout = <a Duration expression>)]",
            ));
        }
        Ok(Args {
            timeout,
            source,
            canceller,
        })
    }

    /// The expressions of the user's that are evaluated in the function:
    /// they may use its arguments.
    pub(crate) fn expressions(&self) -> Vec<TokenStream> {
        let mut expressions: Vec<TokenStream> = self.timeout.iter().cloned().collect();
        if let LoopSource::Expr(expr) = &self.source {
            expressions.push(expr.to_token_stream());
        }
        if let Some(canceller) = &self.canceller {
            expressions.push(canceller.to_token_stream());
        }
        expressions
    }
}

/// Stores the value of an argument, refusing a second one.
fn set_once<T>(meta: &ParseNestedMeta<'_>, slot: &mut Option<T>, value: T) -> syn::Result<()> {
    if slot.is_some() {
        return Err(meta.error("this argument is given twice"));
    }
    *slot = Some(value);
    Ok(())
}

/// `timeout = "250ms"` becomes a `Duration::new(..)` built at compile time;
/// any other expression is kept as it is, to be evaluated on each call.
fn parse_timeout(meta: &ParseNestedMeta<'_>) -> syn::Result<TokenStream> {
    let expr: Expr = meta.value()?.parse()?;
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(text),
            ..
        }) => duration_literal(&text),
        Expr::Lit(ExprLit { lit, .. }) => Err(syn::Error::new(
            lit.span(),
            format_args!(
                "a timeout is a string, {}, or a `Duration` expression such as \
                 `Duration::from_secs(1)`",
                duration::ACCEPTED
            ),
        )),
        expr => Ok(quote_spanned! {expr.span()=> #expr }),
    }
}

fn duration_literal(text: &LitStr) -> syn::Result<TokenStream> {
    match duration::parse(&text.value()) {
        Ok(duration::Parsed { secs, nanos }) => {
            Ok(quote_spanned! {text.span()=> ::core::time::Duration::new(#secs, #nanos) })
        }
        Err(reason) => Err(syn::Error::new(
            text.span(),
            format_args!(
                "malformed timeout {:?}: {reason}; write {}, or a `Duration` expression such \
                 as `Duration::from_millis(250)`",
                text.value(),
                duration::ACCEPTED
            ),
        )),
    }
}

/// `runtime = tokio` becomes `::crochet::tokio::setup()`.
fn parse_runtime(meta: &ParseNestedMeta<'_>) -> syn::Result<TokenStream> {
    let name: Ident = meta.value()?.parse()?;
    if !RUNTIMES.iter().any(|(known, _)| name == known) {
        let names: Vec<String> = RUNTIMES
            .iter()
            .map(|(name, setup)| format!("`{name}` ({setup})"))
            .collect();
        return Err(syn::Error::new(
            name.span(),
            format_args!(
                "unknown runtime `{name}`: expected one of {}; or pass any loop with \
                 `event_loop = <an EventLoop expression>`",
                names.join(", ")
            ),
        ));
    }
    // The built-in reactor's setup() is at the root of the facade; every
    // runtime's is in the module named like the runtime.
    Ok(if name == "builtin" {
        quote_spanned! {name.span()=> ::crochet::setup() }
    } else {
        quote_spanned! {name.span()=> ::crochet::#name::setup() }
    })
}

#[cfg(test)]
mod tests {
    use proc_macro2::TokenStream;
    use quote::quote;

    use super::{Args, Kind, LoopSource};

    fn error(kind: Kind, tokens: TokenStream) -> String {
        match Args::parse(kind, tokens) {
            Ok(_) => panic!("parsed"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn sources() {
        let args = Args::parse(Kind::WaitFor, quote!(timeout = "1s")).unwrap();
        assert!(matches!(args.source, LoopSource::Default));
        let args = Args::parse(Kind::RunInReactor, quote!(runtime = smol)).unwrap();
        assert!(matches!(args.source, LoopSource::Setup(_)));
        assert!(args.timeout.is_none());
        let args = Args::parse(Kind::RunInReactor, quote!(event_loop = LOOP.clone())).unwrap();
        assert!(matches!(args.source, LoopSource::Expr(_)));
    }

    #[test]
    fn timeouts() {
        let literal = Args::parse(Kind::WaitFor, quote!(timeout = "1.5s")).unwrap();
        let literal = literal.timeout.unwrap().to_string();
        assert_eq!(
            literal,
            ":: core :: time :: Duration :: new (1u64 , 500000000u32)"
        );
        let expr = Args::parse(Kind::WaitFor, quote!(timeout = self.timeout)).unwrap();
        assert_eq!(expr.timeout.unwrap().to_string(), "self . timeout");
        assert!(error(Kind::WaitFor, quote!(timeout = 5)).contains("a timeout is a string"));
        assert!(error(Kind::WaitFor, quote!(timeout = "5")).contains("`5` has no unit"));
    }

    #[test]
    fn misuses() {
        assert!(error(Kind::WaitFor, quote!()).contains("needs a timeout"));
        assert!(error(Kind::WaitFor, quote!(runtime = tokio)).contains("needs a timeout"));
        assert!(error(Kind::RunInReactor, quote!(timeout = "1s")).contains("takes no timeout"));
        assert!(
            error(Kind::RunInReactor, quote!(runtime = tokio, runtime = smol))
                .contains("given twice")
        );
        assert!(
            error(Kind::RunInReactor, quote!(runtime = tokio, event_loop = x)).contains("not both")
        );
        assert!(error(Kind::RunInReactor, quote!(runtime = glommio)).contains("unknown runtime"));
        assert!(error(Kind::RunInReactor, quote!(loop = x)).contains("unknown argument"));
    }
}
