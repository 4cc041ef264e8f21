//! What the attributes need to know about the decorated function, and the
//! misuses they refuse before generating anything.
//!
//! Everything a decorated function takes moves to the reactor thread, and
//! everything it returns moves back, possibly after the caller gave up
//! waiting. So borrowed arguments, `&mut self` and borrowed results are
//! refused here with a message that says what to write instead; `Send` is
//! checked later by the compiler, through assertions the expansion emits.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, ToTokens};
use syn::punctuated::Punctuated;
use syn::{
    FnArg, GenericArgument, GenericParam, Ident, ItemFn, Lifetime, Pat, PathArguments, ReturnType,
    Type, TypeParamBound,
};

/// A decorated function, checked.
pub(crate) struct Function {
    pub(crate) item: ItemFn,
    pub(crate) receiver: Receiver,
    pub(crate) params: Vec<Param>,
    /// The output of the async fn: `()` when it declares none.
    pub(crate) output: Type,
}

/// How a method's `self` reaches the work.
pub(crate) enum Receiver {
    /// A free function, or an associated function without `self`.
    None,
    /// `&self`: the macro clones `Self` into the work. The span is that of
    /// `self`, where an error about `Self` points.
    Shared(Span),
    /// `self`, `self: Box<Self>`, `self: Arc<Self>`...: moved into the work.
    Owned(Box<Type>),
}

/// One typed argument.
pub(crate) struct Param {
    /// The name the argument is passed on by, for a method: the argument's
    /// own name, or a generated one when the argument is a pattern.
    pub(crate) name: Ident,
    /// The argument as written (a name or a pattern), for messages.
    pub(crate) written: String,
    pub(crate) ty: Box<Type>,
}

impl Function {
    /// Checks `item` and collects what the expansion needs; every misuse
    /// found is reported, not only the first.
    pub(crate) fn analyse(mut item: ItemFn) -> syn::Result<Function> {
        let mut errors = Errors::default();
        // A plain `fn` is an `async fn` without `.await`: its body runs on
        // the reactor thread as it is, and it stays callable as
        // `<name>_async`, like any other.
        if item.sig.asyncness.is_none() {
            item.sig.asyncness = Some(syn::Token![async](item.sig.fn_token.span));
        }
        let sig = &item.sig;
        if let Some(token) = &sig.unsafety {
            errors.push(token, "an `unsafe fn` cannot be run on the reactor thread");
        }
        if let Some(abi) = &sig.abi {
            errors.push(
                abi,
                "an `extern` function cannot be run on the reactor thread",
            );
        }
        if let Some(variadic) = &sig.variadic {
            errors.push(
                variadic,
                "a variadic function cannot be run on the reactor thread",
            );
        }
        for param in &sig.generics.params {
            if let GenericParam::Lifetime(lifetime) = param {
                errors.push(
                    lifetime,
                    "lifetime parameters cannot cross to the reactor thread: the work may \
                     outlive the call (a timed-out call returns before the work is dropped); \
                     take owned arguments instead",
                );
            }
        }

        let mut receiver = Receiver::None;
        let mut params = Vec::new();
        for (index, input) in sig.inputs.iter().enumerate() {
            match input {
                FnArg::Receiver(this) => match &*this.ty {
                    Type::Reference(reference) if reference.mutability.is_some() => errors.push(
                        this,
                        "`&mut self` cannot be lent to the reactor thread: the work may outlive \
                         the call. Take `&self` on a handle that is `Clone + Send + Sync + \
                         'static` (keep mutable state behind an `Arc<Mutex<..>>`), or take \
                         `self`",
                    ),
                    Type::Reference(_) => receiver = Receiver::Shared(this.self_token.span),
                    ty => receiver = Receiver::Owned(Box::new(ty.clone())),
                },
                FnArg::Typed(typed) => {
                    if let Some(borrow) = borrowed(&typed.ty) {
                        errors.push(
                            borrow,
                            format!(
                                "the argument `{}` borrows, so it cannot cross to the reactor \
                                 thread: the work may outlive the call (a timed-out call returns \
                                 before the work is dropped). Take an owned value instead: \
                                 `String` for `&str`, `Vec<T>` for `&[T]`, `T` or `Arc<T>` for \
                                 `&T`",
                                pattern_text(&typed.pat)
                            ),
                        );
                    }
                    let name = match &*typed.pat {
                        Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => {
                            pat.ident.clone()
                        }
                        _ => format_ident!("__crochet_arg{}", index, span = Span::mixed_site()),
                    };
                    params.push(Param {
                        name,
                        written: pattern_text(&typed.pat),
                        ty: typed.ty.clone(),
                    });
                }
            }
        }

        let output = match &sig.output {
            ReturnType::Default => syn::parse_quote!(()),
            ReturnType::Type(_, ty) => {
                if let Some(borrow) = borrowed(ty) {
                    errors.push(
                        borrow,
                        "the result borrows, so it cannot come back from the reactor thread: \
                         return an owned value (`String` for `&str`, `Vec<T>` for `&[T]`, ...)",
                    );
                }
                (**ty).clone()
            }
        };

        errors.finish()?;
        Ok(Function {
            item,
            receiver,
            params,
            output,
        })
    }

    /// The function's type and const parameters, in order, as the generic
    /// arguments of a call (lifetime parameters are refused).
    pub(crate) fn generic_args(&self) -> Vec<Ident> {
        self.item
            .sig
            .generics
            .params
            .iter()
            .filter_map(|param| match param {
                GenericParam::Type(ty) => Some(ty.ident.clone()),
                GenericParam::Const(constant) => Some(constant.ident.clone()),
                GenericParam::Lifetime(_) => None,
            })
            .collect()
    }
}

/// `(U, E)` when the output is written `Result<U, E>` (by any path ending
/// in `Result`, with two type arguments) or `io::Result<U>` (by any path
/// ending in `io::Result`, whose error is `std::io::Error`). Other aliases
/// with one argument hide their error type from the attribute.
pub(crate) fn split_result(output: &Type) -> Option<(Type, Type)> {
    let Type::Path(path) = output else {
        return None;
    };
    if path.qself.is_some() {
        return None;
    }
    let segments = &path.path.segments;
    let last = segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let types: Vec<&Type> = args
        .args
        .iter()
        .map(|arg| match arg {
            GenericArgument::Type(ty) => Some(ty),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let in_io = segments.len() >= 2 && segments[segments.len() - 2].ident == "io";
    match types[..] {
        [ok, err] => Some((ok.clone(), err.clone())),
        [ok] if in_io => Some((ok.clone(), syn::parse_quote!(::std::io::Error))),
        _ => None,
    }
}

/// Whether `ty` mentions `impl Trait` anywhere (such a type cannot be named
/// in a `let` or a turbofish).
pub(crate) fn mentions_impl(ty: &Type) -> bool {
    fn walk(tokens: TokenStream) -> bool {
        tokens.into_iter().any(|token| match token {
            proc_macro2::TokenTree::Ident(ident) => ident == "impl",
            proc_macro2::TokenTree::Group(group) => walk(group.stream()),
            _ => false,
        })
    }
    walk(ty.to_token_stream())
}

/// What in `ty` borrows: a reference or a lifetime other than `'static`.
/// The arguments and results of `Fn(..)` bounds and `fn(..)` pointers are
/// skipped: they are higher-ranked and borrow nothing from the caller.
fn borrowed(ty: &Type) -> Option<TokenStream> {
    match ty {
        Type::Reference(reference) => match &reference.lifetime {
            Some(lifetime) if lifetime.ident == "static" => borrowed(&reference.elem),
            _ => Some(reference.to_token_stream()),
        },
        Type::Path(path) => {
            if let Some(qself) = &path.qself {
                if let Some(borrow) = borrowed(&qself.ty) {
                    return Some(borrow);
                }
            }
            borrowed_in_path(&path.path)
        }
        Type::Array(array) => borrowed(&array.elem),
        Type::Slice(slice) => borrowed(&slice.elem),
        Type::Paren(paren) => borrowed(&paren.elem),
        Type::Group(group) => borrowed(&group.elem),
        Type::Ptr(pointer) => borrowed(&pointer.elem),
        Type::Tuple(tuple) => tuple.elems.iter().find_map(borrowed),
        Type::TraitObject(object) => borrowed_in_bounds(&object.bounds),
        Type::ImplTrait(bounds) => borrowed_in_bounds(&bounds.bounds),
        _ => None,
    }
}

fn borrowed_in_bounds<P>(bounds: &Punctuated<TypeParamBound, P>) -> Option<TokenStream> {
    bounds.iter().find_map(|bound| match bound {
        TypeParamBound::Lifetime(lifetime) => borrowed_lifetime(lifetime),
        // A `for<'a>` bound names its own lifetimes.
        TypeParamBound::Trait(bound) if bound.lifetimes.is_none() => borrowed_in_path(&bound.path),
        _ => None,
    })
}

fn borrowed_in_path(path: &syn::Path) -> Option<TokenStream> {
    path.segments
        .iter()
        .find_map(|segment| match &segment.arguments {
            PathArguments::AngleBracketed(args) => args.args.iter().find_map(|arg| match arg {
                GenericArgument::Type(ty) => borrowed(ty),
                GenericArgument::Lifetime(lifetime) => borrowed_lifetime(lifetime),
                _ => None,
            }),
            _ => None,
        })
}

fn borrowed_lifetime(lifetime: &Lifetime) -> Option<TokenStream> {
    (lifetime.ident != "static").then(|| lifetime.to_token_stream())
}

/// The argument's pattern as written, for messages.
fn pattern_text(pat: &Pat) -> String {
    match pat {
        Pat::Ident(pat) => pat.ident.to_string(),
        pat => pat.to_token_stream().to_string().replace(" ,", ","),
    }
}

/// Misuses found so far, reported together.
#[derive(Default)]
struct Errors {
    first: Option<syn::Error>,
}

impl Errors {
    /// Reports `message` at `at`: the whole of it, from its first token to
    /// its last.
    fn push(&mut self, at: impl ToTokens, message: impl std::fmt::Display) {
        let error = syn::Error::new_spanned(at, message);
        match &mut self.first {
            Some(first) => first.combine(error),
            None => self.first = Some(error),
        }
    }

    fn finish(self) -> syn::Result<()> {
        self.first.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use quote::ToTokens;
    use syn::{parse_quote, ItemFn, Type};

    use super::{borrowed, split_result, Function, Receiver};

    fn borrows(ty: Type) -> bool {
        borrowed(&ty).is_some()
    }

    #[test]
    fn borrowing_types() {
        assert!(borrows(parse_quote!(&str)));
        assert!(borrows(parse_quote!(&'a mut Vec<u8>)));
        assert!(borrows(parse_quote!(Option<&[u8]>)));
        assert!(borrows(parse_quote!(std::borrow::Cow<'a, str>)));
        assert!(borrows(parse_quote!((u8, Ref<'_, u8>))));
        assert!(borrows(parse_quote!(Box<dyn Display + 'a>)));
    }

    #[test]
    fn owned_types() {
        assert!(!borrows(parse_quote!(String)));
        assert!(!borrows(parse_quote!(&'static str)));
        assert!(!borrows(parse_quote!(Cow<'static, str>)));
        assert!(!borrows(parse_quote!(Box<dyn Fn(&str) -> &str + Send>)));
        assert!(!borrows(parse_quote!(fn(&u8) -> u8)));
        assert!(!borrows(parse_quote!(impl for<'a> Fn(&'a str) + Send)));
        assert!(!borrows(parse_quote!([u8; 4])));
    }

    #[test]
    fn results_that_flatten() {
        let text = |ty: Type| ty.to_token_stream().to_string();
        let (ok, err) = split_result(&parse_quote!(Result<u8, MyError>)).unwrap();
        assert_eq!(
            (text(ok), text(err)),
            ("u8".to_owned(), "MyError".to_owned())
        );
        let (_, err) = split_result(&parse_quote!(std::io::Result<u8>)).unwrap();
        assert_eq!(text(err), ":: std :: io :: Error");
        assert!(split_result(&parse_quote!(core::result::Result<(), String>)).is_some());
        assert!(split_result(&parse_quote!(anyhow::Result<u8>)).is_none());
        assert!(split_result(&parse_quote!(Option<u8>)).is_none());
        assert!(split_result(&parse_quote!(fmt::Result)).is_none());
    }

    fn analyse(item: ItemFn) -> Function {
        match Function::analyse(item) {
            Ok(function) => function,
            Err(error) => panic!("{error}"),
        }
    }

    fn refused(item: ItemFn) -> String {
        match Function::analyse(item) {
            Ok(_) => panic!("accepted"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn receivers() {
        let shared = analyse(parse_quote!(
            async fn f(&self) {}
        ));
        assert!(matches!(shared.receiver, Receiver::Shared(_)));
        let typed = analyse(parse_quote!(
            async fn f(self: &Self) {}
        ));
        assert!(matches!(typed.receiver, Receiver::Shared(_)));
        let owned = analyse(parse_quote!(
            async fn f(self: Arc<Self>) {}
        ));
        assert!(matches!(owned.receiver, Receiver::Owned(_)));
        let plain = analyse(parse_quote!(
            fn f(x: u8) -> u8 {
                x
            }
        ));
        assert!(plain.item.sig.asyncness.is_some());
        let free = analyse(parse_quote!(
            async fn f(x: u8) {}
        ));
        assert!(matches!(free.receiver, Receiver::None));
        let mutable = refused(parse_quote!(
            async fn f(&mut self) {}
        ));
        assert!(mutable.contains("`&mut self` cannot be lent"), "{mutable}");
    }

    #[test]
    fn misuses() {
        let lifetime = refused(parse_quote!(
            async fn f<'a>(x: Cow<'a, str>) {}
        ));
        assert!(lifetime.contains("lifetime parameters"), "{lifetime}");
        let result = refused(parse_quote!(
            async fn f() -> &'a str {}
        ));
        assert!(result.contains("the result borrows"), "{result}");
    }
}
