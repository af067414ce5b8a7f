## Errors: every `code` the API returns has a sentence here, saying what to do next.
error-not-found = Not found. Check the number, or it may not be yours to see.
error-unauthorized = Please sign in first (send a valid session or API token).
error-forbidden = Your account is not allowed to do this.
error-login-failed = Wrong username or password.
error-invalid-input = Some fields need attention; see the field errors.
error-internal = Something went wrong on our side. Please reload to see what was saved, then try again.
error-not-ready = The service is starting or cannot reach its database.
error-conflict = Someone else changed this application a moment ago. Reload it and try again.
error-immutable = { $what } cannot be changed once recorded.
error-exists = { $what } already exists.
error-payout-open = This application's last refund has not ended at the channel: it is on its way, or the channel cannot reach the payer's account (route that one another way, or record it paid another way). Nothing was sent.
error-payout-in-flight = A refund of this application is on its way at the channel: recording it as paid another way now could pay the buyer twice. Wait for the channel's answer. Nothing was recorded.
error-unknown-policy = Policy version { $version } has not been published.
error-not-paid = This order has not been paid.
error-not-eligible = No refund application is possible on this order.
error-draft-exists = You already have a draft for this order ({ $no }): continue that one, or delete it first. Nothing was saved.
error-json-malformed = The request body is not valid JSON.
error-json-invalid = The request body does not have the expected fields; see the field errors.
error-json-content-type = Send the body as JSON with Content-Type: application/json.
error-body-too-large = The request body is too large.
error-bad-request = The request is not valid.
error-method-not-allowed = This address does not accept that method.
error-timeout = The request took too long. Please reload to see what was saved, then try again.
error-busy = The service is busy. Please try again in a moment.
error-appeal-balance-taken = Other applications now hold this order's balance, so this amount cannot be appealed.
error-field-missing = This field is required.
error-field-unknown = This field is not part of the request.
error-field-invalid = This field has the wrong type or format.

## Things named in messages
what-buyer = The buyer of an order
what-policy_version = The policy version an order was bought under
what-payment = An order's payment
what-service = The service terms of an order with submitted applications
what-policy = A published policy version
what-delivery_reading = A delivery reading
what-account_event = An account event
what-user = The user
what-application_id = The application's id
error-policy-invalid = The policy document is not valid; see the detail.
error-amount-malformed = Enter an amount in yuan, such as 12.34.
error-amount-too-many-decimals = Amounts have at most two decimals (fen).
error-amount-not-positive = The amount must be greater than zero.
error-amount-too-large = The amount is too large.
error-amount-above-balance = The amount is more than the refundable balance of this order.
error-amount-above-requested = You can approve at most the amount the buyer asked for.
error-illegal-transition = This is not possible while the application is { $state ->
    [draft] a draft
    [submitted] submitted
    [in_review] in review
    [info_requested] waiting for more information
    [approved] approved
    [rejected] rejected
    [appealed] under appeal
    [withdrawn] withdrawn
    [refunding] being refunded
    [refunded] refunded
   *[refund_failed] in a failed refund
}. Reload to see its current state.
error-claimed-by-other = Another reviewer is handling this application.
error-not-a-reviewer = Only reviewers can do this.
error-needs-senior-reviewer = Appeals are decided by a level-2 reviewer.
error-same-reviewer = You made the first decision on this application, so another level-2 reviewer must decide its appeal.
error-appeal-window-closed = The time to appeal this decision has passed.
error-appeal-limit-reached = This decision has already been appealed as many times as the policy allows.
error-explanation-required = Please explain the reason when you choose "Other".
error-text-required = This field is required.
error-text-too-long = This text is too long (at most 2000 characters).
error-reason-unknown = Choose a reason from the list.
error-reject-code-unknown = Choose a rejection reason from the list.
error-state-unknown = Unknown application state.
error-channel-unknown = Unknown payment channel (wechat_pay, alipay or bank_card).
error-order-no-malformed = Order numbers are 1–64 letters, digits, "_" or "-".
error-username-malformed = Usernames are 1–64 lower-case letters, digits, "_", "." or "-".
error-range-invalid = The end of the range must come after its start.
error-webhook-event-unknown = Unknown event type: use names such as application.approved or families such as payout.* (at most 32).
error-webhook-url-credentials = A webhook address may not contain a user name or password.
error-webhook-url-invalid = This is not a web address (https://host/path).
error-webhook-url-not-https = Webhooks are sent over https:// only.
error-webhook-url-private = This address is inside a private network (loopback, private, link-local or cloud metadata), which webhooks may not reach.
error-quantity-invalid = The quantity must be a positive whole number.
error-readings-count = Send between 1 and 1000 readings at a time.
error-source-unknown = Unknown delivery source (platform, third_party or manual).
error-account-event-unknown = Unknown account event (banned_for_violation, restricted or restored).

## Application states
state-draft = Draft
state-submitted = Submitted
state-in_review = In review
state-info_requested = Information requested
state-approved = Approved
state-rejected = Rejected
state-appealed = Appealed
state-withdrawn = Withdrawn
state-refunding = Refunding
state-refunded = Refunded
state-refund_failed = Refund failed

## Reasons a buyer gives
reason-not_delivered_on_time = Not delivered on time
reason-quantity_short = Quantity short
reason-service_interrupted = Service interrupted
reason-account_risk = Account at risk
reason-no_reason = No reason (within the no-reason window)
reason-duplicate_charge = Charged twice
reason-other = Other

## Rejection reasons
reject-insufficient_evidence = Insufficient evidence
reject-out_of_window = Outside the refund window
reject-service_completed = Service completed
reject-violation_exclusion = Excluded by an account violation
reject-duplicate_application = Duplicate application
reject-other = Other

## Timeline events
event-submitted = Application submitted
event-claimed = Taken for review
event-info_requested = More information requested
event-supplemented = Information supplemented
event-approved = Approved
event-rejected = Rejected
event-appealed = Appealed
event-withdrawn = Withdrawn
event-refund_started = Refund sent to the payment channel
event-refunded = Refund arrived
event-refund_failed = Refund failed
event-refund_retried = Refund sent again
event-settled_outside = Refund paid another way

## Payment channels
channel-wechat_pay = WeChat Pay
channel-alipay = Alipay
channel-bank_card = Bank card
error-login-throttled = Too many sign-in attempts. Try again in { $seconds } seconds.
error-limit-open-tickets = You already have the most open tickets allowed. Wait for an answer, or add to a ticket you have open.
error-limit-tickets = You have opened the most tickets allowed for today. Try again tomorrow (in about { $minutes } minutes), or add to a ticket you have open.
error-limit-messages = You are sending messages too quickly. Try again in { $seconds } seconds.
error-limit-attachment-bytes = You have attached the most files allowed for today. Try again in about { $minutes } minutes.
error-cross-origin = This request came from another website and was refused. Use the Redress pages.
error-form-content-type = This is not a form Redress can read. Submit it from a Redress page.
error-form-malformed = The form could not be read. Reload the page and try again.
## Evidence
error-evidence-empty = The file is empty. Choose it again.
error-evidence-type-unsupported = Only JPG and PNG images and PDF files are accepted (judged by their content).
error-evidence-extension-mismatch = The file's extension does not match its content. Upload the original file.
error-evidence-declared-type-mismatch = The file's declared type does not match its content. Upload the original file.
error-evidence-name-empty = The file name is not usable. Rename the file and upload it again.
error-evidence-too-many = An application holds at most { $count ->
    [one] one file
   *[other] { $count } files
}.
error-evidence-closed = This application is closed and takes no more files.
error-preview-unavailable = This image cannot be previewed; download it instead.
error-evidence-too-large = The file is larger than { $size } MB. Compress it and upload it again.
error-evidence-kind-unknown = Choose what kind of evidence this is.
error-evidence-file-missing = Choose a file to upload.
error-evidence-one-file = Upload one file at a time.
error-files-too-many = A message carries at most 3 files.
error-upload-interrupted = The upload was interrupted. Try again.
error-multipart-malformed = The upload could not be read. Try again.
error-multipart-too-many-fields = The upload form has too many fields.
error-multipart-field-unknown = The upload form has a field Redress does not know.
error-field-too-long = This is too long.
evidence-kind-payment_record = Payment record
evidence-kind-service_agreement = Service agreement
evidence-kind-delivery_progress = Delivery progress screenshot
evidence-kind-chat_log = Chat log
evidence-kind-third_party_report = Third-party monitoring report
evidence-kind-screen_recording = Screen recording
evidence-kind-notarised_document = Notarised document
evidence-kind-other = Other
error-evidence-incomplete = The file is cut short or damaged: its content stops before its format says it ends. Upload the original file.

## Case files
error-case-draft = A draft has no case file yet: submit it first.
error-case-font-missing = Case files cannot be made on this server: it has no font with Chinese characters. Ask the administrator to install fonts-wqy-microhei or set REDRESS_REPORT_FONT.
case-title = Refund case file { $no }
case-subtitle = Generated by Redress on { $time } (Beijing time).
case-application = Application
case-no = Application number
case-buyer = Buyer
case-reason = Reason
case-requested = Amount requested
case-state = State
case-review-due = Review due
deadline-end-of-day = { $date }, end of day (Beijing time)
deadline-at = { $date }, { $time } (Beijing time)
case-submitted = Submitted
case-description = The buyer's account
case-order = Order
case-order-no = Order number
case-service = Service
case-promised = Promised
case-deadline = Promised by
case-paid = Paid
case-channel = Payment method
case-paid-at = Paid at
case-policy = Refund policy accepted
case-policy-version = Version
case-policy-accepted = Accepted at
case-entitlement = Entitlement
case-suggested = What the rules give
case-max = Most that may be refunded
case-delivered = Delivered / promised
case-clauses = Clauses applied
case-explanation = Explanation
case-ledger = Delivery ledger
case-ledger-empty = No delivery readings.
case-timeline = Timeline
case-decision = Decision
case-decision-pending = Not decided yet.
case-approved = Amount approved
case-rejected = Rejected because
case-decided-at = Decided at
case-reviewer = Reviewer
case-evidence = Evidence
case-evidence-none = No files.
case-messages = Messages
case-messages-none = No messages.
case-thread-application = On the application
case-thread-ticket = Ticket { $no }: { $subject }
case-message-redacted = (removed by an administrator: { $reason })
case-audit = Audit chain
case-audit-entries = Entries of this case
case-audit-head = Chain head at export
case-audit-how = Every file in this archive is listed with its SHA-256 in manifest.json; audit.json holds this case's entries of Redress's tamper-evident audit chain, each of which carries the hash of the entry before it and vouches for a timeline event or an evidence file (with its SHA-256). Check the archive offline with: redress verify { $file }

## Payout states
payout-state-created = Waiting to be sent
payout-state-processing = With the payment channel
payout-state-succeeded = Arrived
payout-state-abnormal = Could not reach the account
payout-state-closed = Closed by the channel
error-cursor-invalid = This page link has expired or was changed. Start again from the first page.
error-limit-out-of-range = A page holds 1 to 200 items.
error-search-one-of = Search by exactly one of: application number, order number or buyer.
error-buyer-id-staff = This id belongs to a staff account, not a buyer: use another buyer id.
error-email-invalid = Enter an e-mail address such as name@example.com.
error-phone-invalid = Enter a phone number of 5 to 15 digits, optionally starting with "+" (spaces and "-" allowed).
error-language-unknown = The language must be zh-CN or en.
error-order-buyer-fixed = The order's buyer cannot be changed: an application has been opened on it.
error-query-invalid = A query parameter is not valid: see the API reference for its values.

## Notifications (one per kind of crates/domain/src/notify.rs)
time-beijing = { $time } (Beijing time)
notice-application-submitted = We received your refund application { $no } for { $amount }. It will be reviewed within the promised time.
notice-application-in_review = A reviewer has started on your application { $no }.
notice-application-info_requested = The reviewer needs more information for application { $no }. Please reply on the application's page.
notice-application-supplemented = The buyer answered the information request on { $no }.
notice-application-approved = Your application { $no } was approved: { $amount } will be refunded to your original payment method.
notice-application-auto_approved = Your application { $no } was approved automatically under the refund policy: { $amount } will be refunded to your original payment method.
notice-application-rejected = Your application { $no } was not approved. See why on its page; you may appeal within the window shown there.
notice-application-appealed = We received your appeal on { $no }. A senior reviewer will decide it.
notice-application-withdrawn = The buyer withdrew application { $no }.
notice-payout-sent = The refund of { $amount } for { $no } was sent to your original payment channel.
notice-payout-succeeded = The refund of { $amount } for { $no } has arrived.
notice-payout-failed = The refund of { $amount } for { $no } did not go through. We are looking into it and will tell you what happens next.
notice-payout-abnormal = The payment channel could not pay { $amount } for { $no } into the account it came from. We will contact you about another way.
notice-payout-settled_outside = The refund for { $no } was paid to you another way; see the application's page for how.
notice-payout-paid_twice = Reconciliation found the refund for { $no } paid twice ({ $amount } too much).
notice-webhook-endpoint_disabled = A webhook endpoint was disabled: it stopped taking messages (the last was about { $no }). See Administration → Webhooks.

## Notification e-mails
mail-subject = Your refund application { $no }: news
mail-greeting = Hello { $name },
mail-intro = Here is what happened to refund application { $no }:
mail-open = Open the application
mail-footer = Redress sends this because you take part in this application. Decisions and refunds are always e-mailed; other news can be switched off on your notifications page.
error-ticket-buyer-only = Only the buyer who opened this ticket can do this.
error-ticket-staff-only = Only support staff can do this.
error-ticket-resolved = This ticket is resolved. Reopen it to write again.
error-ticket-closed = This ticket is closed. Open a new ticket if you still need help.
error-ticket-reopen-window-closed = The time to reopen this ticket has passed. Open a new ticket if you still need help.
error-ticket-not-now = This cannot be done to the ticket as it stands now. Reload to see its current state.
error-ticket-subject = Give the ticket a subject of at most 120 characters.
error-ticket-body = Write a message of at most 5000 characters.
error-ticket-forbidden = Your role does not allow this.
error-ticket-held-by-other = Someone else is handling this ticket; a supervisor can reassign it.
error-ticket-merge-target = Merge into another open ticket of the same buyer.
error-category-unknown = Choose a category from the list.
error-ticket-state-unknown = Unknown ticket state.

## Support tickets
ticket-category-refund_progress = Refund progress
ticket-category-evidence_question = A question about evidence
ticket-category-payout_not_arrived = Refund not arrived
ticket-category-terms_question = A question about the terms
ticket-category-account = My account
ticket-category-other = Something else
ticket-state-open = Waiting for a first answer
ticket-state-waiting_on_staff = Waiting for support
ticket-state-waiting_on_buyer = Waiting for you
ticket-state-resolved = Resolved
ticket-state-closed = Closed
error-not-a-supervisor = Only a supervisor can give an application to another reviewer.
event-released = Returned to the queue
event-reassigned = Given to another reviewer
notice-application-reassigned = A supervisor gave you application { $no } to review.
mail-subject-ticket = Your support ticket { $no }: news
mail-intro-ticket = Here is what happened to support ticket { $no }:
notice-ticket-replied = Support answered your ticket { $no }. Reply on the ticket's page if you need more help.
notice-ticket-buyer_wrote = The buyer wrote again on ticket { $no }, which you hold.
notice-ticket-assigned = Ticket { $no } was given to you.
notice-ticket-resolved = Your ticket { $no } was marked resolved. Not solved? You can reopen it for 7 days.
error-ticket-assignee = No colleague who answers tickets has this username.
error-ticket-reason = Say why, in at most 5000 characters.
