## 错误:API 返回的每个 code 都在这里有一句话,并说明下一步怎么做。
error-not-found = 未找到。请核对编号,或该记录不属于您。
error-unauthorized = 请先登录(提供有效的会话或 API 令牌)。
error-forbidden = 您的账号无权执行此操作。
error-login-failed = 用户名或密码错误。
error-invalid-input = 部分字段需要修改,请查看字段错误。
error-internal = 系统出现问题。请刷新查看已保存的内容后重试。
error-not-ready = 服务正在启动或无法连接数据库。
error-conflict = 该申请刚刚被其他人修改,请刷新后重试。
error-immutable = { $what }一经记录,不可更改。
error-exists = { $what }已存在。
error-payout-open = 该申请的上一笔退款在渠道尚未结束：仍在途中，或渠道无法到达付款人账户（请改走其他途径，或登记为已通过其他方式退款）。本次未发起退款。
error-payout-in-flight = 该申请有一笔退款正在渠道处理中：此时登记为已通过其他方式退款可能造成重复退款。请等待渠道结果。本次未作登记。
error-unknown-policy = 规则版本 { $version } 尚未发布。
error-not-paid = 该订单尚未付款。
error-not-eligible = 该订单无法申请退款。
error-draft-exists = 您在该订单已有一份草稿（{ $no }）：请继续编辑那份草稿，或先将其删除。本次未保存。
error-json-malformed = 请求内容不是有效的 JSON。
error-json-invalid = 请求内容缺少或包含错误的字段,请查看字段错误。
error-json-content-type = 请以 JSON 格式发送,并设置 Content-Type: application/json。
error-body-too-large = 请求内容过大。
error-bad-request = 请求无效。
error-method-not-allowed = 该地址不支持此请求方法。
error-timeout = 请求处理超时。请刷新查看已保存的内容后重试。
error-busy = 服务繁忙,请稍后再试。
error-appeal-balance-taken = 该订单的可退余额已被其他申请占用,无法就此金额申诉。
error-field-missing = 此项为必填项。
error-field-unknown = 请求中不应包含此字段。
error-field-invalid = 此字段的类型或格式不正确。

## 消息中提到的对象
what-buyer = 订单的买家
what-policy_version = 订单适用的规则版本
what-payment = 订单的付款信息
what-service = 已有申请提交的订单的服务条款
what-policy = 已发布的规则版本
what-delivery_reading = 交付记录
what-account_event = 账号事件
what-user = 该用户
what-application_id = 申请标识
error-policy-invalid = 规则文件无效,请查看详细信息。
error-amount-malformed = 请输入以元为单位的金额,例如 12.34。
error-amount-too-many-decimals = 金额最多保留两位小数(精确到分)。
error-amount-not-positive = 金额必须大于零。
error-amount-too-large = 金额过大。
error-amount-above-balance = 金额超过了该订单的可退余额。
error-amount-above-requested = 批准金额不能超过买家申请的金额。
error-illegal-transition = 申请当前处于「{ $state ->
    [draft] 草稿
    [submitted] 已提交
    [in_review] 审核中
    [info_requested] 待补充材料
    [approved] 已通过
    [rejected] 已驳回
    [appealed] 申诉中
    [withdrawn] 已撤回
    [refunding] 退款中
    [refunded] 已退款
   *[refund_failed] 退款失败
}」状态,无法执行此操作。请刷新查看最新状态。
error-claimed-by-other = 该申请正由其他审核员处理。
error-not-a-reviewer = 只有审核员可以执行此操作。
error-needs-senior-reviewer = 申诉须由二级审核员处理。
error-same-reviewer = 您做出了该申请的原审核决定,申诉须由另一位二级审核员处理。
error-appeal-window-closed = 已超过该决定的申诉期限。
error-appeal-limit-reached = 该决定的申诉次数已达规则上限。
error-explanation-required = 选择「其他」原因时,请写明具体说明。
error-text-required = 此项为必填项。
error-text-too-long = 内容过长(最多 2000 字)。
error-reason-unknown = 请从列表中选择退款原因。
error-reject-code-unknown = 请从列表中选择驳回原因。
error-state-unknown = 未知的申请状态。
error-channel-unknown = 未知的支付渠道(wechat_pay、alipay 或 bank_card)。
error-order-no-malformed = 订单号为 1–64 位字母、数字、"_" 或 "-"。
error-username-malformed = 用户名为 1–64 位小写字母、数字、"_"、"." 或 "-"。
error-range-invalid = 时间范围的结束必须晚于开始。
error-webhook-event-unknown = 未知的事件类型：请使用 application.approved 这样的名称或 payout.* 这样的类别（最多 32 项）。
error-webhook-url-credentials = Webhook 地址中不能包含用户名或密码。
error-webhook-url-invalid = 这不是一个网址（https://主机/路径）。
error-webhook-url-not-https = Webhook 只通过 https:// 发送。
error-webhook-url-private = 该地址位于内部网络（回环、私有、链路本地或云元数据地址），Webhook 不能访问。
error-quantity-invalid = 数量必须是正整数。
error-readings-count = 每次发送 1 到 1000 条交付记录。
error-source-unknown = 未知的交付数据来源(platform、third_party 或 manual)。
error-account-event-unknown = 未知的账号事件(banned_for_violation、restricted 或 restored)。

## 申请状态
state-draft = 草稿
state-submitted = 已提交
state-in_review = 审核中
state-info_requested = 待补充材料
state-approved = 已通过
state-rejected = 已驳回
state-appealed = 申诉中
state-withdrawn = 已撤回
state-refunding = 退款中
state-refunded = 已退款
state-refund_failed = 退款失败

## 退款原因
reason-not_delivered_on_time = 服务未按约定时间完成
reason-quantity_short = 数据量严重不足
reason-service_interrupted = 服务中断
reason-account_risk = 账号风险
reason-no_reason = 无理由退款(在无理由期限内)
reason-duplicate_charge = 重复扣款
reason-other = 其他

## 驳回原因
reject-insufficient_evidence = 证据不足
reject-out_of_window = 超出退款期限
reject-service_completed = 服务已完成
reject-violation_exclusion = 因账号违规不予退款
reject-duplicate_application = 重复申请
reject-other = 其他

## 时间线事件
event-submitted = 提交申请
event-claimed = 开始审核
event-info_requested = 要求补充材料
event-supplemented = 已补充材料
event-approved = 审核通过
event-rejected = 审核驳回
event-appealed = 提出申诉
event-withdrawn = 撤回申请
event-refund_started = 退款已提交至支付渠道
event-refunded = 退款已到账
event-refund_failed = 退款失败
event-refund_retried = 重新发起退款
event-settled_outside = 已通过其他方式退款

## 支付渠道
channel-wechat_pay = 微信支付
channel-alipay = 支付宝
channel-bank_card = 银行卡
error-login-throttled = 登录尝试过于频繁，请 { $seconds } 秒后再试。
error-limit-open-tickets = 您未结束的工单已达上限。请等待客服回复，或在已有工单中补充。
error-limit-tickets = 今天新建工单已达上限。请明天再试（约 { $minutes } 分钟后），或在已有工单中补充。
error-limit-messages = 发送消息过于频繁，请 { $seconds } 秒后再试。
error-limit-attachment-bytes = 今天上传的附件已达上限，请约 { $minutes } 分钟后再试。
error-cross-origin = 请求来自其他网站，已拒绝。请在 Redress 页面上操作。
error-form-content-type = 表单格式不对，请从 Redress 的页面提交。
error-form-malformed = 表单内容无法读取，请刷新页面后重试。
## Evidence
error-evidence-empty = 文件是空的，请重新选择。
error-evidence-type-unsupported = 只接受 JPG、PNG 图片和 PDF 文件（按文件内容判断）。
error-evidence-extension-mismatch = 文件扩展名与内容不符，请上传原始文件。
error-evidence-declared-type-mismatch = 文件声明的类型与内容不符，请上传原始文件。
error-evidence-name-empty = 文件名无效，请改名后再上传。
error-evidence-too-many = 每个申请最多 { $count } 个文件。
error-evidence-closed = 这个申请已经结束，不能再添加文件。
error-preview-unavailable = 这张图片无法预览，请下载查看。
error-evidence-too-large = 文件超过 { $size } MB，请压缩后再上传。
error-evidence-kind-unknown = 请选择证据类型。
error-evidence-file-missing = 请选择要上传的文件。
error-evidence-one-file = 一次只能上传一个文件。
error-files-too-many = 一条消息最多附 3 个文件。
error-upload-interrupted = 上传中断了，请重试。
error-multipart-malformed = 上传的内容无法读取，请重试。
error-multipart-too-many-fields = 上传表单的字段太多。
error-multipart-field-unknown = 上传表单中有无法识别的字段。
error-field-too-long = 内容太长。
evidence-kind-payment_record = 支付记录
evidence-kind-service_agreement = 服务协议
evidence-kind-delivery_progress = 交付进度截图
evidence-kind-chat_log = 聊天记录
evidence-kind-third_party_report = 第三方监测报告
evidence-kind-screen_recording = 录屏
evidence-kind-notarised_document = 公证文书
evidence-kind-other = 其他
error-evidence-incomplete = 文件不完整或已损坏：内容在其格式规定的结尾之前就中断了。请上传原始文件。

## 案卷
error-case-draft = 草稿还没有案卷，请先提交申请。
error-case-font-missing = 这台服务器无法生成案卷：没有包含中文字符的字体。请管理员安装 fonts-wqy-microhei，或设置 REDRESS_REPORT_FONT。
case-title = 退款案卷 { $no }
case-subtitle = 由 Redress 于 { $time }（北京时间）生成。
case-application = 申请
case-no = 申请编号
case-buyer = 买家
case-reason = 退款理由
case-requested = 申请金额
case-state = 状态
case-review-due = 审核截止
deadline-end-of-day = { $date } 24:00（北京时间）
deadline-at = { $date } { $time }（北京时间）
case-submitted = 提交时间
case-description = 买家陈述
case-order = 订单
case-order-no = 订单号
case-service = 服务
case-promised = 承诺数量
case-deadline = 承诺完成时间
case-paid = 实付金额
case-channel = 支付方式
case-paid-at = 支付时间
case-policy = 买家接受的退款政策
case-policy-version = 版本
case-policy-accepted = 接受时间
case-entitlement = 可退金额判断
case-suggested = 规则给出的金额
case-max = 最多可退
case-delivered = 已交付 / 承诺
case-clauses = 适用条款
case-explanation = 说明
case-ledger = 交付记录
case-ledger-empty = 没有交付记录。
case-timeline = 时间线
case-decision = 处理结果
case-decision-pending = 尚未作出决定。
case-approved = 批准金额
case-rejected = 驳回理由
case-decided-at = 决定时间
case-reviewer = 审核人
case-evidence = 证据
case-evidence-none = 没有文件。
case-messages = 沟通记录
case-messages-none = 无沟通记录。
case-thread-application = 申请内的留言
case-thread-ticket = 工单 { $no }：{ $subject }
case-message-redacted = （已被管理员删除：{ $reason }）
case-audit = 审计链
case-audit-entries = 本案条目数
case-audit-head = 导出时的链头
case-audit-how = 本压缩包中的每个文件都在 manifest.json 中列出其 SHA-256；audit.json 收录本案在 Redress 防篡改审计链中的条目，每个条目都带有前一条目的哈希，并为一条时间线事件或一个证据文件（含其 SHA-256）作证。离线核验命令：redress verify { $file }

## Payout states
payout-state-created = 等待发送
payout-state-processing = 渠道处理中
payout-state-succeeded = 已到账
payout-state-abnormal = 无法入账
payout-state-closed = 渠道已关闭
error-cursor-invalid = 该分页链接已失效或被修改，请从第一页重新开始。
error-limit-out-of-range = 每页可显示 1 至 200 条。
error-search-one-of = 请只按一项搜索：申请编号、订单号或买家。
error-buyer-id-staff = 该 ID 属于员工账号，不是买家：请使用其他买家 ID。
error-email-invalid = 请输入有效的电子邮箱地址，例如 name@example.com。
error-phone-invalid = 请输入 5–15 位数字的电话号码，可以 "+" 开头（允许空格和 "-"）。
error-language-unknown = 语言只能是 zh-CN 或 en。
error-order-buyer-fixed = 该订单已有退款申请，不能再更改买家。
error-query-invalid = 查询参数无效：其取值请参见 API 文档。

## 通知（与 crates/domain/src/notify.rs 的种类一一对应）
time-beijing = { $time }（北京时间）
notice-application-submitted = 已收到你的退款申请 { $no }（{ $amount }），我们会在承诺的时限内审核。
notice-application-in_review = 审核员已开始处理你的申请 { $no }。
notice-application-info_requested = 审核员需要你为申请 { $no } 补充材料，请在申请页面回复。
notice-application-supplemented = 买家已回复申请 { $no } 的补充材料要求。
notice-application-approved = 你的申请 { $no } 已通过，{ $amount } 将原路退回。
notice-application-auto_approved = 你的申请 { $no } 已按退款规则自动通过，{ $amount } 将原路退回。
notice-application-rejected = 你的申请 { $no } 未通过。请在申请页面查看原因；如有异议，可在页面所示期限内申诉。
notice-application-appealed = 已收到你对申请 { $no } 的申诉，将由二级审核员处理。
notice-application-withdrawn = 买家已撤回申请 { $no }。
notice-payout-sent = 申请 { $no } 的退款 { $amount } 已提交至原支付渠道。
notice-payout-succeeded = 申请 { $no } 的退款 { $amount } 已到账。
notice-payout-failed = 申请 { $no } 的退款 { $amount } 未能完成，我们正在处理，并会告知你后续安排。
notice-payout-abnormal = 支付渠道无法将申请 { $no } 的退款 { $amount } 退回原账户，我们会联系你改用其他方式。
notice-payout-settled_outside = 申请 { $no } 的退款已通过其他方式支付给你，详见申请页面。
notice-payout-paid_twice = 对账发现申请 { $no } 的退款被重复支付（多付 { $amount }）。
notice-webhook-endpoint_disabled = 一个 Webhook 接收地址已被停用：它不再接收消息（最后一条关于申请 { $no }）。请到“管理 → Webhook”查看。

## 通知邮件
mail-subject = 退款申请 { $no } 有新进展
mail-greeting = { $name }，你好：
mail-intro = 退款申请 { $no } 的最新进展如下：
mail-open = 查看申请
mail-footer = 你收到这封邮件，是因为你参与了这个申请。审核结果和退款进展总会通过邮件告知；其他通知可以在通知页面关闭。
error-ticket-buyer-only = 只有提交该工单的买家可以这样做。
error-ticket-staff-only = 只有客服人员可以这样做。
error-ticket-resolved = 该工单已解决。如需继续沟通，请先重新打开。
error-ticket-closed = 该工单已关闭。如仍需帮助，请新建工单。
error-ticket-reopen-window-closed = 该工单已超过可重新打开的期限。如仍需帮助，请新建工单。
error-ticket-not-now = 工单当前的状态不允许此操作。请刷新查看最新状态。
error-ticket-subject = 请填写工单主题，最多 120 个字符。
error-ticket-body = 请填写消息内容，最多 5000 个字符。
error-ticket-forbidden = 您的角色无权进行此操作。
error-ticket-held-by-other = 该工单正由其他同事处理；客服主管可以改派。
error-ticket-merge-target = 只能合并到同一买家的另一个未解决工单。
error-category-unknown = 请从列表中选择问题类别。
error-ticket-state-unknown = 未知的工单状态。

## 工单
ticket-category-refund_progress = 退款进度
ticket-category-evidence_question = 证据相关问题
ticket-category-payout_not_arrived = 退款未到账
ticket-category-terms_question = 条款相关问题
ticket-category-account = 账户问题
ticket-category-other = 其他问题
ticket-state-open = 等待首次回复
ticket-state-waiting_on_staff = 等待客服回复
ticket-state-waiting_on_buyer = 等待您回复
ticket-state-resolved = 已解决
ticket-state-closed = 已关闭
error-not-a-supervisor = 只有客服主管可以把申请改派给其他审核员。
event-released = 退回待审队列
event-reassigned = 改派给其他审核员
notice-application-reassigned = 客服主管把申请 { $no } 改派给您审核。
mail-subject-ticket = 工单 { $no } 有新进展
mail-intro-ticket = 工单 { $no } 的最新进展如下：
notice-ticket-replied = 客服已回复您的工单 { $no }。如需进一步帮助，请在工单页面回复。
notice-ticket-buyer_wrote = 您负责的工单 { $no } 有买家的新消息。
notice-ticket-assigned = 工单 { $no } 已转交给您处理。
notice-ticket-resolved = 您的工单 { $no } 已标记为解决。如问题仍未解决，7 天内可以重新打开。
error-ticket-assignee = 没有使用该用户名、负责答复工单的同事。
error-ticket-reason = 请说明原因，最多 5000 个字符。
