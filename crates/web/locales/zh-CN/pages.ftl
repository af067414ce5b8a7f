## The website: every word a page shows.
app-name = Redress 售后退款
page-skip = 跳到正文
page-footer = 退款原路返回 · 审核时效以工作日计（北京时间）
page-error-title = 出错了
page-error-home = 返回首页
page-partial = 部分退款
page-auto-decided = 系统自动审核
page-draft-autosaved = 草稿已自动保存（{ $date }）
nav-label = 主导航
nav-orders = 订单管理
nav-applications = 申请记录
nav-help = 退款说明
nav-desk = 审核工作台
nav-logout = 退出登录

login-title = 登录
login-intro = 使用平台账号登录，查看订单、申请退款或处理审核。
login-username = 用户名
login-password = 密码
login-submit = 登录

orders-title = 订单管理
orders-intro = 个人中心 · 你购买的服务、交付进度和可退金额。
orders-empty = 还没有订单。
order-no = 订单号
order-paid = 实付金额
order-channel = 支付方式
order-deadline = 承诺完成时间
order-progress = 交付进度
order-refundable = 可退金额
order-apply = 申请退款
order-continue-draft = 继续填写草稿

apply-title = 申请退款
apply-entitlement = 退款资格
apply-max = 最多可退
apply-reason = 退款原因
apply-reason-choose = 请选择
apply-amount = 退款金额（元）
apply-amount-hint = 默认为全部可退金额，可改为部分退款。
apply-amount-above = 超过了最多可退金额。
apply-description = 问题描述
apply-description-hint = 写清楚发生了什么：何时下单、承诺了什么、实际交付了多少。
apply-submit = 提交申请
apply-save = 保存草稿
apply-delete = 删除草稿

apps-title = 申请记录
apps-empty = 还没有退款申请。
app-reason = 退款原因
app-requested = 申请金额
app-approved = 批准金额
app-submitted-at = 提交时间
app-due = 审核截止
app-overdue = 已超时
app-decided-at = 审核时间

detail-number = 申请编号
detail-appeal-round = 申诉
detail-rejected-because = 驳回原因：
detail-info-requested = 审核员需要补充信息
detail-supplement-label = 你的补充说明
detail-supplement-submit = 提交补充信息
detail-appeal-title = 对结果有异议？
detail-appeal-intro = 申诉会由另一位高级审核员重新审核。
detail-appeal-label = 申诉理由
detail-appeal-submit = 提交申诉
detail-order = 订单信息
detail-timeline = 处理进度
detail-withdraw = 撤回申请
detail-withdraw-confirm = 确定撤回这个申请吗？

help-title = 退款说明
help-steps-title = 退款四步
help-step-1 = 登录后进入「个人中心 → 订单管理」，找到要退款的订单。
help-step-2 = 点击「申请退款」，选择原因，填写金额和问题描述，提交前可以看到退款资格说明。
help-step-3 = 提交后记下申请编号，在「申请记录」查看审核进度；审核员要求补充信息时请及时回复。
help-step-4 = 审核通过后，款项原路退回微信支付、支付宝或银行卡。对驳回结果有异议可以申诉。
help-policy-version = 退款规则 第 { $version } 版
help-accepted = 你在下单时同意了这一版规则：

desk-title = 审核队列
desk-filters = 筛选
desk-filter-state = 状态
desk-filter-reason = 原因
desk-filter-channel = 支付方式
desk-filter-min = 最低金额（元）
desk-filter-max = 最高金额（元）
desk-filter-apply = 筛选
desk-filter-clear = 清除
desk-any = 全部
desk-count = 共 { $count } 条，按审核截止时间排序
desk-col-no = 申请编号
desk-col-state = 状态
desk-col-reason = 原因
desk-col-amount = 金额
desk-col-channel = 支付方式
desk-col-buyer = 买家
desk-col-due = 审核截止
desk-empty = 没有待处理的申请。
desk-reviewer = 审核员
desk-actions = 操作
desk-claim = 领取审核
desk-claimed-by-other = 这个申请正由其他审核员处理。
desk-approve = 批准退款
desk-approve-amount = 批准金额（元）
desk-approve-hint = 少于申请金额即为部分批准。
desk-reject = 驳回
desk-reject-code = 驳回原因
desk-reject-text = 给买家的说明
desk-request-info = 要求补充信息
desk-request-info-message = 需要买家补充什么
desk-no-actions = 当前状态下没有可做的操作。
desk-buyer-words = 买家陈述
desk-no-description = 买家没有填写描述。
desk-policy = 规则版本
desk-ledger = 交付记录
desk-ledger-empty = 还没有交付记录。
desk-ledger-at = 时间
desk-ledger-delivered = 累计交付
desk-ledger-source = 来源

done-saved = 草稿已保存。
done-submitted = 申请已提交，申请编号 { $no }。请记下编号以便查询。
done-deleted = 草稿已删除。
done-withdraw = 申请已撤回。
done-supplement = 补充信息已提交，等待审核员继续审核。
done-appeal = 申诉已提交，将由高级审核员重新审核。
done-claim = 已领取，现在由你审核。
done-request-info = 已要求买家补充信息。
done-approve = 已批准退款。
done-reject = 已驳回。

role-buyer = 买家
role-agent = 客服
role-reviewer = 审核员
role-senior_reviewer = 高级审核员
role-admin = 管理员
role-system = 系统

platform-douyin = 抖音
platform-xiaohongshu = 小红书
platform-kuaishou = 快手
platform-bilibili = 哔哩哔哩

source-platform = 平台数据
source-third_party = 第三方监测
source-manual = 人工录入

# The switcher shows the other language's name, in that language.
lang-other = English

files-title = 证据材料
files-empty = 还没有上传文件。
files-kind = 证据类型
files-caption = 说明（可选）
files-choose = 选择文件，或拖到这里
files-hint = JPG、PNG 或 PDF，每个不超过 { $size } MB，每个申请最多 { $count } 个。
files-hint-mp4 = JPG、PNG、PDF 或 MP4 录屏，每个不超过 { $size } MB，每个申请最多 { $count } 个。
files-upload = 上传
files-uploading = 正在上传…
done-uploaded = 文件已上传。
files-system = 系统生成
files-system-what = 提交时的订单、规则条款和交付记录快照
files-case-file = 下载案卷（ZIP）
files-case-file-what = 内含报告（PDF）、全部证据文件及其 SHA-256、本案审计条目，可留存或交给第三方核验。
files-preview-of = { $name } 的预览

## Payouts
payouts-title = 退款打款
payouts-arrived = 已于 { $time } 到账
payouts-expected = 预计 { $time } 前到账
payouts-stuck = 支付渠道无法完成这笔退款，工作人员会改用其他方式退款并与您联系。
payouts-reason = 渠道返回：
payouts-attempts = 已与渠道往来 { $count } 次
