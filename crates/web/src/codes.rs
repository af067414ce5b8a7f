//! Every error code the web layer itself gives (the domain's come from its own errors): one
//! enum, so the check that each has a sentence in zh-CN and in English iterates it instead of
//! scanning source files.

macro_rules! codes {
    ($($variant:ident = $s:literal,)*) => {
        /// A stable, machine-readable error code (`error-<code>` in the translation files).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ErrorCode { $($variant),* }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $s),* }
            }
        }
    };
}

codes! {
        AccountEventUnknown = "account-event-unknown",
        AmountMalformed = "amount-malformed",
        AmountNotPositive = "amount-not-positive",
        AmountTooLarge = "amount-too-large",
        BodyTooLarge = "body-too-large",
        Busy = "busy",
        BuyerIdStaff = "buyer-id-staff",
        CaseDraft = "case-draft",
        EmailInvalid = "email-invalid",
        CaseFontMissing = "case-font-missing",
        CategoryUnknown = "category-unknown",
        ChannelUnknown = "channel-unknown",
        Conflict = "conflict",
        CrossOrigin = "cross-origin",
        CursorInvalid = "cursor-invalid",
        EvidenceFileMissing = "evidence-file-missing",
        EvidenceKindUnknown = "evidence-kind-unknown",
        EvidenceOneFile = "evidence-one-file",
        EvidenceTooLarge = "evidence-too-large",
        Exists = "exists",
        FieldInvalid = "field-invalid",
        FilesTooMany = "files-too-many",
        FieldMissing = "field-missing",
        FieldTooLong = "field-too-long",
        FieldUnknown = "field-unknown",
        Forbidden = "forbidden",
        FormContentType = "form-content-type",
        FormMalformed = "form-malformed",
        Immutable = "immutable",
        Internal = "internal",
        InvalidInput = "invalid-input",
        JsonContentType = "json-content-type",
        JsonInvalid = "json-invalid",
        JsonMalformed = "json-malformed",
        LimitOutOfRange = "limit-out-of-range",
        LoginFailed = "login-failed",
        LoginThrottled = "login-throttled",
        MethodNotAllowed = "method-not-allowed",
        MultipartFieldUnknown = "multipart-field-unknown",
        MultipartMalformed = "multipart-malformed",
        MultipartTooManyFields = "multipart-too-many-fields",
        NotFound = "not-found",
        LanguageUnknown = "language-unknown",
        NotPaid = "not-paid",
        NotReady = "not-ready",
        OrderBuyerFixed = "order-buyer-fixed",
        OrderNoMalformed = "order-no-malformed",
        PhoneInvalid = "phone-invalid",
        PolicyInvalid = "policy-invalid",
        PreviewUnavailable = "preview-unavailable",
        QuantityInvalid = "quantity-invalid",
        QueryInvalid = "query-invalid",
        ReadingsCount = "readings-count",
        ReasonUnknown = "reason-unknown",
        RejectCodeUnknown = "reject-code-unknown",
        SearchOneOf = "search-one-of",
        SourceUnknown = "source-unknown",
        StateUnknown = "state-unknown",
        TextRequired = "text-required",
        TicketStateUnknown = "ticket-state-unknown",
        Unauthorized = "unauthorized",
        UnknownPolicy = "unknown-policy",
        UploadInterrupted = "upload-interrupted",
        UsernameMalformed = "username-malformed",
        RangeInvalid = "range-invalid",
        WebhookEventUnknown = "webhook-event-unknown",
        WebhookUrlCredentials = "webhook-url-credentials",
        WebhookUrlInvalid = "webhook-url-invalid",
        WebhookUrlNotHttps = "webhook-url-not-https",
        WebhookUrlPrivate = "webhook-url-private",
}
