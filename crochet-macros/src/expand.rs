//! The generated code: the blocking (or eventual) function under the
//! original name, and the original `async fn` under `<name>_async`.
//!
//! A method with a receiver calls `Self::<name>_async` from the work. A
//! function without one cannot: nothing tells a free function from an
//! associated function of an `impl` block, and only the latter would need
//! `Self::`. So its body is compiled a second time, as an `async` block in
//! the blocking function, with the arguments in scope as they were written.
//!
//! Names the expansion introduces are `mixed_site`, so they can neither
//! shadow nor be seen by the user's code (the body, the `timeout` and the
//! `event_loop` expressions).

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{
    parse_quote, parse_quote_spanned, Attribute, FnArg, GenericParam, Ident, ItemFn, Meta, Type,
    TypeParamBound, WherePredicate,
};

use crate::args::{Args, Kind, LoopSource};
use crate::function::{mentions_impl, split_result, Function, Receiver};

/// Expands one decorated function. A misuse becomes a compile error emitted
/// beside the function as it was written, so that the function still exists
/// and no "cannot find function" errors pile up at its callers.
pub(crate) fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let item: ItemFn = match syn::parse2(item) {
        Ok(item) => item,
        Err(error) => return error.to_compile_error(),
    };
    let expanded = Args::parse(kind, args).and_then(|args| {
        let function = Function::analyse(item.clone())?;
        Ok(generate(kind, &args, &function))
    });
    match expanded {
        Ok(tokens) => tokens,
        Err(error) => {
            let error = error.to_compile_error();
            quote! { #error #item }
        }
    }
}

/// Both functions.
fn generate(kind: Kind, args: &Args, function: &Function) -> TokenStream {
    let original = original(args, function);
    let blocking = blocking(kind, args, function);
    quote! { #blocking #original }
}

/// The `async fn` as written, renamed `<name>_async`, with a doc comment of
/// its own (the user's doc comment describes the blocking function).
fn original(args: &Args, function: &Function) -> TokenStream {
    let mut item = function.item.clone();
    // An argument that only the attribute uses (`timeout = timeout`) is
    // unused by the body: the `async fn` marks it used, so that it does
    // not warn.
    let used = args.expressions();
    for name in argument_names(&item).into_iter().rev() {
        if used.iter().any(|expr| mentions(expr.clone(), &name)) {
            item.block.stmts.insert(0, parse_quote!(let _ = &#name;));
        }
    }
    let name = &item.sig.ident;
    let doc = format!(
        " The `async fn` behind `{name}`, as written: await it on a runtime that can drive \
         it, for example in a unit test, instead of going through the reactor thread."
    );
    item.sig.ident = async_name(name);
    item.attrs.retain(|attr| !is_doc_comment(attr));
    item.attrs.insert(0, parse_quote!(#[doc = #doc]));
    // A private function that is only called through the blocking one would
    // otherwise warn as unused outside of tests; and a body without `.await`
    // is `async` because the attributes ask for it.
    item.attrs
        .push(parse_quote!(#[allow(dead_code, clippy::unused_async)]));
    item.into_token_stream()
}

/// The blocking (`#[wait_for]`) or eventual (`#[run_in_reactor]`) function.
fn blocking(kind: Kind, args: &Args, function: &Function) -> TokenStream {
    let item = &function.item;
    let mut sig = item.sig.clone();
    sig.asyncness = None;
    add_send_static_bounds(&mut sig);
    if !matches!(function.receiver, Receiver::None) {
        // The arguments are passed on by name; a pattern gets a name.
        for (input, param) in sig
            .inputs
            .iter_mut()
            .filter(|input| matches!(input, FnArg::Typed(_)))
            .zip(&function.params)
        {
            if let FnArg::Typed(typed) = input {
                let name = &param.name;
                *typed.pat = parse_quote!(#name);
            }
        }
        if let Some(FnArg::Receiver(this)) = sig.inputs.first_mut() {
            // `mut self` is moved on as it is; its `mut` would be unused.
            this.mutability = None;
        }
    }

    let output = &function.output;
    let flat = split_result(output).filter(|_| kind == Kind::WaitFor);
    let flat = flat.as_ref();
    let crochet_error = quote!(::crochet::Error);
    let ret: Type = match (kind, flat, &args.source) {
        (Kind::WaitFor, Some((ok, err)), _) => {
            parse_quote!(::core::result::Result<#ok, ::crochet::WorkError<#err>>)
        }
        (Kind::WaitFor, None, _) => parse_quote!(::core::result::Result<#output, #crochet_error>),
        (Kind::RunInReactor, _, LoopSource::Default) => parse_quote!(
            ::core::result::Result<::crochet::EventualResult<#output>, #crochet_error>
        ),
        (Kind::RunInReactor, _, _) => parse_quote!(::crochet::EventualResult<#output>),
    };
    sig.output = parse_quote!(-> #ret);

    let attrs = blocking_attrs(kind, args, &item.attrs);
    let vis = &item.vis;
    let checks = checks(function);
    let event_loop = Ident::new("__crochet_loop", Span::mixed_site());
    let loop_setup = loop_setup(kind, args, flat.is_some(), &event_loop);
    let work_name = Ident::new("__crochet_work", Span::mixed_site());
    let work_closure = work_closure(function);
    let result = Ident::new("__crochet_result", Span::mixed_site());
    // Naming the output type fixes the type of the work's output before its
    // body is checked against it; a type with `impl Trait` cannot be named.
    let annotation = (!mentions_impl(output)).then(|| match kind {
        Kind::WaitFor => quote!(: ::core::result::Result<#output, #crochet_error>),
        Kind::RunInReactor => quote!(: ::crochet::EventualResult<#output>),
    });
    // What the user's code in the work would warn about already warns once
    // in `<name>_async`. And a body that never returns (`todo!()`, a server
    // loop) must not make the generated code around it unreachable, nor a
    // `#[deprecated]` function its own call to `<name>_async` deprecated.
    let work = quote! {
        #[allow(unreachable_code, deprecated)]
        let #work_name = #work_closure;
    };
    // The canceller is evaluated before the work takes the arguments.
    let canceller_name = Ident::new("__crochet_canceller", Span::mixed_site());
    let canceller = args
        .canceller
        .as_ref()
        .map(|canceller| quote_spanned! {canceller.span()=> let #canceller_name = #canceller; });
    let submit = match (kind, &args.timeout, &canceller) {
        (Kind::WaitFor, Some(timeout), None) => {
            let timeout_name = Ident::new("__crochet_timeout", Span::mixed_site());
            quote! {
                let #timeout_name: ::core::time::Duration = #timeout;
                #loop_setup
                #work
                let #result #annotation = #event_loop.wait_for(#timeout_name, #work_name);
            }
        }
        (Kind::WaitFor, Some(timeout), Some(canceller)) => {
            let timeout_name = Ident::new("__crochet_timeout", Span::mixed_site());
            quote! {
                let #timeout_name: ::core::time::Duration = #timeout;
                #loop_setup
                #canceller
                #work
                let #result #annotation = #event_loop.wait_for_with_canceller(
                    #timeout_name, #work_name, #canceller_name);
            }
        }
        (_, _, Some(canceller)) => quote! {
            #loop_setup
            #canceller
            #work
            let #result #annotation =
                #event_loop.run_in_reactor_with_canceller(#work_name, #canceller_name);
        },
        _ => quote! {
            #loop_setup
            #work
            let #result #annotation = #event_loop.run_in_reactor(#work_name);
        },
    };
    let finish = match (kind, flat, &args.source) {
        (Kind::WaitFor, Some(_), _) => quote!(::crochet::ResultExt::flatten_work(#result)),
        (Kind::RunInReactor, _, LoopSource::Default) => quote!(::core::result::Result::Ok(#result)),
        _ => quote!(#result),
    };

    quote! {
        #(#attrs)*
        #[track_caller]
        #vis #sig {
            #checks
            #submit
            #finish
        }
    }
}

/// The user's attributes that carry over to the blocking function: all of
/// them, except a bare `#[must_use]` on a function that returns a `Result`
/// (already `#[must_use]`, and clippy's `double_must_use` would object) and
/// `#[track_caller]`, which the function gets anyway.
fn blocking_attrs<'a>(kind: Kind, args: &Args, attrs: &'a [Attribute]) -> Vec<&'a Attribute> {
    let returns_result = kind == Kind::WaitFor || matches!(args.source, LoopSource::Default);
    attrs
        .iter()
        .filter(|attr| {
            let bare_must_use = matches!(&attr.meta, Meta::Path(path) if path.is_ident("must_use"));
            !(attr.path().is_ident("track_caller") || returns_result && bare_must_use)
        })
        .collect()
}

/// Every type parameter, and every `impl Trait` argument, must be
/// `Send + 'static` for the work to cross to the reactor thread; saying so
/// in the signature puts the error at the caller that breaks it. The bounds
/// go where the parameter's other bounds are (clippy objects to a parameter
/// bounded in two places).
fn add_send_static_bounds(sig: &mut syn::Signature) {
    let send_static: [TypeParamBound; 2] =
        [parse_quote!(::core::marker::Send), parse_quote!('static)];
    let generics = &mut sig.generics;
    for param in &mut generics.params {
        let GenericParam::Type(param) = param else {
            continue;
        };
        let in_where_clause = generics.where_clause.as_mut().and_then(|clause| {
            clause
                .predicates
                .iter_mut()
                .find_map(|predicate| match predicate {
                    WherePredicate::Type(predicate)
                        if predicate.lifetimes.is_none()
                            && matches!(&predicate.bounded_ty, Type::Path(ty)
                                if ty.qself.is_none() && ty.path.is_ident(&param.ident)) =>
                    {
                        Some(&mut predicate.bounds)
                    }
                    _ => None,
                })
        });
        match in_where_clause {
            Some(bounds) => bounds.extend(send_static.clone()),
            None => {
                if param.colon_token.is_none() {
                    param.colon_token = Some(Default::default());
                }
                param.bounds.extend(send_static.clone());
            }
        }
    }
    for input in &mut sig.inputs {
        if let FnArg::Typed(typed) = input {
            if let Type::ImplTrait(bounds) = &mut *typed.ty {
                bounds.bounds.extend(send_static.clone());
            }
        }
    }
}

/// Assertions that name what is not `Send` (or, for `&self`, not
/// `Clone + Send + Sync`): without them the compiler would only say that the
/// closure handed to the loop is not `Send`.
fn checks(function: &Function) -> TokenStream {
    let fn_name = &function.item.sig.ident;
    let mut checks = TokenStream::new();
    for param in &function.params {
        let ty = &param.ty;
        // `impl Trait` arguments got a `Send` bound instead.
        if mentions_impl(ty) {
            continue;
        }
        let message = format!(
            "the argument `{}` of `{fn_name}` is not `Send`, so it cannot move to the reactor \
             thread",
            param.written
        );
        checks.extend(assertion(
            ty,
            &message,
            "pass a value that is `Send`: an `Arc` instead of an `Rc`, a `Mutex` instead of a \
             `RefCell`, owned data instead of a handle bound to this thread",
            quote!(::core::marker::Send),
        ));
    }
    match &function.receiver {
        Receiver::None => {}
        Receiver::Shared(span) => {
            let message = format!(
                "`{fn_name}` takes `&self`, so `Self` must be `Clone + Send + Sync + 'static`: \
                 `self` is cloned into the work on the reactor thread"
            );
            checks.extend(assertion(
                &parse_quote_spanned!(*span=> Self),
                &message,
                "derive `Clone` on a handle that keeps its state in an `Arc`, or take `self`",
                quote!(::core::clone::Clone + ::core::marker::Send + ::core::marker::Sync),
            ));
        }
        Receiver::Owned(ty) => {
            let message = format!(
                "`{fn_name}` takes `self`, so its `self` must be `Send`: it moves to the reactor \
                 thread"
            );
            checks.extend(assertion(
                ty,
                &message,
                "keep the state of `Self` in types that are `Send` (an `Arc` instead of an `Rc`)",
                quote!(::core::marker::Send),
            ));
        }
    }
    checks
}

/// One assertion that `ty` has `bounds`, with `message` as the error.
fn assertion(ty: &Type, message: &str, note: &str, bounds: TokenStream) -> TokenStream {
    // The names show in the error's notes.
    let check = Ident::new("CanCrossToTheReactorThread", Span::mixed_site());
    let assert = Ident::new("can_cross", Span::mixed_site());
    let label = format!("`{{Self}}` is not `{}`", bounds_text(&bounds));
    // The call carries the span of the type, which is where the error points.
    let call = quote_spanned! {ty.span()=> #assert::<#ty>(); };
    quote! {
        {
            #[diagnostic::on_unimplemented(message = #message, label = #label, note = #note)]
            trait #check {}
            impl<T: ?::core::marker::Sized + #bounds> #check for T {}
            fn #assert<T: ?::core::marker::Sized + #check>() {}
            #call
        }
    }
}

/// `Clone + Send` for `::core::clone::Clone + ::core::marker::Send`.
fn bounds_text(bounds: &TokenStream) -> String {
    bounds
        .to_string()
        .split('+')
        .map(|bound| bound.rsplit("::").next().unwrap_or(bound).trim())
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Binds `event_loop` to the loop the work goes to, returning early with
/// `Error::NotSetUp` (as the function's error) when no loop was set up.
fn loop_setup(kind: Kind, args: &Args, flat: bool, event_loop: &Ident) -> TokenStream {
    match &args.source {
        LoopSource::Default => {
            let error = Ident::new("__crochet_error", Span::mixed_site());
            let error_value = match (kind, flat) {
                (Kind::WaitFor, true) => quote!(::crochet::WorkError::Crochet(#error)),
                _ => quote!(#error),
            };
            quote! {
                let #event_loop = match ::crochet::default_loop() {
                    ::core::result::Result::Ok(#event_loop) => #event_loop,
                    ::core::result::Result::Err(#error) => {
                        return ::core::result::Result::Err(#error_value);
                    }
                };
            }
        }
        LoopSource::Setup(setup) => quote! { let #event_loop = #setup; },
        LoopSource::Expr(expr) => {
            let value = Ident::new("__crochet_loop_value", Span::mixed_site());
            quote! {
                let #value = #expr;
                let #event_loop: &::crochet::EventLoop = ::core::borrow::Borrow::borrow(&#value);
            }
        }
    }
}

/// The closure handed to the loop: it runs on the reactor thread and
/// returns the future that is driven there.
fn work_closure(function: &Function) -> TokenStream {
    let item = &function.item;
    let async_name = async_name(&item.sig.ident);
    let generics = function.generic_args();
    let turbofish = (!generics.is_empty()).then(|| quote!(::<#(#generics),*>));
    let args = function.params.iter().map(|param| &param.name);
    match &function.receiver {
        Receiver::None => {
            let block = &item.block;
            let output = &function.output;
            // Checking the body against the declared output keeps the
            // coercions of its tail (to a `Box<dyn Trait>`, say) as they are
            // in the `async fn`.
            if mentions_impl(output) {
                quote! { move || async move #block }
            } else {
                quote! { move || async move { ::core::convert::identity::<#output>(#block) } }
            }
        }
        Receiver::Shared(_) => {
            let this = Ident::new("__crochet_this", Span::mixed_site());
            quote! {
                {
                    let #this = <Self as ::core::clone::Clone>::clone(self);
                    move || async move { Self::#async_name #turbofish(&#this, #(#args),*).await }
                }
            }
        }
        Receiver::Owned(_) => quote! {
            move || Self::#async_name #turbofish(self, #(#args),*)
        },
    }
}

/// The arguments of `item` bound to a plain name (not a pattern).
fn argument_names(item: &ItemFn) -> Vec<Ident> {
    item.sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            FnArg::Typed(typed) => match &*typed.pat {
                syn::Pat::Ident(pat) if pat.subpat.is_none() => Some(pat.ident.clone()),
                _ => None,
            },
            FnArg::Receiver(_) => None,
        })
        .collect()
}

/// Whether `tokens` name `name` anywhere.
fn mentions(tokens: TokenStream, name: &Ident) -> bool {
    tokens.into_iter().any(|token| match token {
        proc_macro2::TokenTree::Ident(ident) => ident == *name,
        proc_macro2::TokenTree::Group(group) => mentions(group.stream(), name),
        _ => false,
    })
}

/// `<name>_async`, spanned like the name so that it resolves where the user
/// wrote the function.
fn async_name(name: &Ident) -> Ident {
    format_ident!("{}_async", name, span = name.span())
}

/// `///` and `//!` comments (`#[doc = ".."]`), but not `#[doc(hidden)]`
/// and the like, which apply to both functions.
fn is_doc_comment(attr: &Attribute) -> bool {
    matches!(&attr.meta, Meta::NameValue(meta) if meta.path.is_ident("doc"))
}
