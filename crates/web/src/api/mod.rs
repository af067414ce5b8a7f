//! The JSON API under `/api/v1`: one module per audience. Every route is registered through
//! `utoipa-axum`, so the OpenAPI document at `/api/openapi.json` cannot miss one.

pub mod applications;
pub mod channels;
pub mod contract;
pub mod docs;
pub mod evidence;
pub mod health;
pub mod merchant;
pub mod notifications;
pub mod orders;
pub mod replies;
pub mod review;
pub mod session;
pub mod testing;
pub mod tickets;
pub mod webhooks;

use crate::AppState;
use axum::extract::DefaultBodyLimit;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(title = "Redress API", description = "Refund applications for metered online services: buyers, staff and merchant systems."),
    modifiers(&Security),
    tags(
        (name = "session", description = "Sign in and out"),
        (name = "buyer", description = "A buyer's orders and refund applications"),
        (name = "staff", description = "The review desk"),
        (name = "tickets", description = "Support tickets and the message thread on every application: buyers ask, staff answer"),
        (name = "notifications", description = "A signed-in person's notifications"),
        (name = "merchant", description = "Orders, payments, delivery and account events pushed by the merchant system; its webhook endpoints"),
        (name = "ops", description = "Health")
    )
)]
struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = |what: &str| {
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some(what)).build())
        };
        components.add_security_scheme(
            "buyer_session",
            bearer("A buyer's session token (`POST /api/v1/session` with a buyer's account)."),
        );
        components.add_security_scheme(
            "staff_session",
            bearer("A staff member's session token (`POST /api/v1/session` with a staff account)."),
        );
        components.add_security_scheme(
            "admin_session",
            bearer("An administrator's session token (`POST /api/v1/session` with an admin account)."),
        );
        components
            .add_security_scheme("merchant_token", bearer("A merchant API token (`redress admin token create NAME`)."));
    }
}

/// The OpenAPI document, built once from the same router that serves the API, with every
/// operation's standard answers ([`contract`]).
static OPENAPI: std::sync::LazyLock<utoipa::openapi::OpenApi> = std::sync::LazyLock::new(|| {
    let doc = router().split_for_parts().1;
    let mut value = serde_json::to_value(&doc).unwrap_or_default();
    contract::complete(&mut value);
    serde_json::from_value(value).unwrap_or(doc)
});

pub fn openapi() -> &'static utoipa::openapi::OpenApi {
    &OPENAPI
}

/// This document: every route of the API, generated from the code.
#[utoipa::path(get, path = "/api/openapi.json", tag = "ops", responses((status = 200, description = "OpenAPI 3.1 document")))]
pub async fn openapi_json() -> axum::Json<&'static utoipa::openapi::OpenApi> {
    axum::Json(openapi())
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(openapi_json))
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(session::login, session::logout))
        .routes(routes!(session::me))
        .routes(routes!(orders::list_orders))
        .routes(routes!(orders::order_detail))
        .routes(routes!(orders::entitlement))
        .routes(routes!(orders::policy))
        .routes(routes!(applications::list, applications::create_draft))
        .routes(routes!(applications::detail, applications::update_draft, applications::delete_draft))
        .routes(routes!(applications::submit))
        .routes(routes!(applications::withdraw))
        .routes(routes!(applications::appeal))
        // Uploads bound their own body (see `evidence`); the JSON limit does not apply.
        .merge(
            OpenApiRouter::new().routes(routes!(evidence::upload, evidence::list)).layer(DefaultBodyLimit::disable()),
        )
        .routes(routes!(evidence::download))
        .routes(routes!(crate::casefile::case_file))
        .routes(routes!(review::queue))
        .routes(routes!(review::search))
        .routes(routes!(review::claim))
        .routes(routes!(review::release))
        .routes(routes!(review::reassign))
        .routes(routes!(review::request_info))
        .routes(routes!(review::approve))
        .routes(routes!(review::reject))
        .routes(routes!(review::retry_refund))
        .routes(routes!(review::settle_outside))
        // Messages may carry files: a multipart form bounds itself, the fields alone are held
        // to the JSON limit (see `files::Posted`).
        .merge(
            OpenApiRouter::new()
                .routes(routes!(tickets::open, tickets::list))
                .routes(routes!(tickets::write))
                .routes(routes!(tickets::thread, tickets::write_on_application))
                .routes(routes!(applications::supplement))
                .layer(DefaultBodyLimit::disable()),
        )
        .routes(routes!(tickets::detail))
        .routes(routes!(tickets::file))
        .routes(routes!(tickets::message_file))
        .routes(routes!(tickets::reopen))
        .routes(routes!(tickets::resolve))
        .routes(routes!(tickets::merge))
        .routes(routes!(tickets::assign))
        .routes(routes!(tickets::redact))
        .routes(routes!(tickets::desk))
        .routes(routes!(replies::list, replies::create))
        .routes(routes!(replies::detail, replies::update, replies::delete))
        .routes(routes!(notifications::list))
        .routes(routes!(notifications::unread))
        .routes(routes!(notifications::mark_read))
        .routes(routes!(notifications::mark_all_read))
        .routes(routes!(notifications::preferences, notifications::set_preferences))
        .routes(routes!(notifications::failed_mail))
        .routes(routes!(merchant::upsert_buyer, merchant::buyer))
        .routes(routes!(merchant::upsert_order))
        .routes(routes!(merchant::set_payment))
        .routes(routes!(merchant::add_deliveries))
        .routes(routes!(merchant::account_event))
        .routes(routes!(merchant::publish_policy))
        .routes(routes!(webhooks::create, webhooks::list))
        .routes(routes!(webhooks::detail))
        .routes(routes!(webhooks::rotate_secret))
        .routes(routes!(webhooks::disable))
        .routes(routes!(webhooks::attempts))
        .routes(routes!(webhooks::redeliver))
        .routes(routes!(webhooks::replay))
}
