using Collection.Functions.Ledger;

namespace Collection.Functions.Policies;

/// <summary>
/// The Chinese for each problem code the API answers, for the <c>detailZh</c> of its problem details
/// (the English <c>detail</c> says the specifics). Codes shared with the payment files come from
/// <see cref="LedgerCodes"/>, so one code reads the same wherever it is answered.
/// </summary>
public static class ProblemText
{
    private static readonly Dictionary<string, string> Messages = new(StringComparer.Ordinal)
    {
        ["malformed-request"] = "请求内容格式不正确，请按接口说明填写",
        ["missing-field"] = "缺少必填项",
        ["unknown-policy"] = "政策（年度）不存在，GET /api/policies 可查看全部政策",
        ["unknown-identity"] = "资助身份无法识别",
        ["unknown-population"] = "人员类别无法识别",
        ["unknown-allowance-class"] = "低保类别无法识别",
        ["unknown-payment-mode"] = "缴费方式无法识别",
        ["unknown-insurance-fact"] = "参保情况类别无法识别，可填 insured-elsewhere（外地参保）、employee-insurance（职工医保）或 commitment（承诺）",
        ["missing-coverage-year"] = "请填写参保年度（coverageYear）",
        ["insured-elsewhere"] = "已登记此人在外地参加本年度基本医疗保险，需先终止原医保关系后方可参保",
        ["enrolled-under-another-policy"] = "此人本年度已在本系统的其他政策（地区）下参保，同一年度不能重复参保",
        ["unknown-id-type"] = "证件类型无法识别，请填写“居民身份证”“外国人永久居留身份证”或“护照”",
        ["missing-birth-date"] = "缺少出生日期",
        ["birth-date-mismatch"] = "出生日期与身份证号码中的出生日期不一致",
        ["birth-date-in-future"] = "出生日期晚于核定日期",
        ["missing-allowance-class"] = "该政策需要低保类别才能核定",
        ["missing-payment-mode"] = "该政策需要缴费方式才能核定",
        ["already-enrolled"] = "该人员本年度已参保登记",
        ["not-enrolled"] = "未查到该人员的参保登记",
        ["no-newborn-rule"] = "该政策没有适用于此次出生前参保登记的新生儿规定（如需父母一方已参保缴费、在出生年度内登记），请在新生儿出生后持身份证号参保登记",
        ["newborn-already-born"] = "预产期不晚于登记日期：新生儿已出生的，请持新生儿身份证号办理参保登记",
        ["expected-birth-too-far"] = "预产期距登记日期过远，请核对预产期",
        ["born-before-registration"] = "身份证号码中的出生日期不晚于出生前参保登记日期，不属于出生前登记的新生儿",
        ["birth-date-outside-expected-window"] = "身份证号码中的出生日期与登记的预产期不符，请核对身份证号码",
        ["newborn-assessment-changed"] = "按实际出生日期核定的缴费与出生前登记时不同，请注销该登记后持身份证号重新参保登记",
        ["reference-attached"] = "该出生前参保登记已关联其他身份证号码",
        ["unknown-relationship"] = "与新生儿关系无法识别，可填 母亲、父亲 或 监护人",
        ["invalid-child"] = "胎次序号应为 1 至 9（双胞胎填 1 和 2）",
        ["invalid-reference"] = "出生前参保登记号无效（应为 NB- 加 13 位字母数字）",
        ["unknown-format"] = "格式无法识别，可选 json 或 csv",
        ["invalid-period"] = "结束日期早于开始日期",
        ["invalid-month"] = "月份应为 yyyy-MM",
        ["invalid-page-size"] = "每页条数应为 1 至 1000",
        ["invalid-continuation"] = "分页标记无效，请从第一页重新查询",
        ["unknown-status"] = "参保状态无法识别",
        ["date-in-future"] = "日期晚于今天",
        ["unsupported-file-type"] = "不支持的文件类型，请上传 .csv 或 .xlsx 文件",
        ["unknown-roster-kind"] = "名册类别应为 school 或 university",
        ["invalid-roster-name"] = "学校代码或文件名无效（不能含 /、\\ 或控制字符）",
        ["forbidden-school"] = "该密钥无权操作此学校的名册",
        ["forbidden-policy"] = "该学校未被配置为可在此政策（地区、年度）下登记",
        ["roster-not-found"] = "未找到该名册",
        ["business-date-not-allowed"] = "本服务按实际日期办理，不接受指定业务日期",
        ["unknown-job"] = "没有该定时任务",
        ["invalid-as-of"] = "asOf 应为 yyyy-MM-dd 格式的日期",
        ["refund-finished"] = "该退费案件已结束",
        ["unknown-reason"] = "退费原因无法识别",
        ["event-date-required"] = "该退费原因需要填写事件发生日期",
        ["no-payment"] = "未查到该人员的缴费记录，无可退费用",
        ["refund-in-progress"] = "该人员已有办理中的退费，请先办结",
        ["refund-not-found"] = "未找到该退费案件",
        ["unknown-stage"] = "办理环节无法识别",
        ["unknown-event"] = "退费事件无法识别",
        ["wrong-role"] = "该密钥的角色不能发送此事件",
        ["event-not-awaited"] = "案件当前不在等待此事件",
        ["missing-id-number"] = "缺少身份证号码",
        ["missing-source"] = "缺少参保来源",
        ["reason-not-in-policy"] = "该政策没有此退费情形",
        ["remittance-mismatch"] = "汇缴人数或金额与该代收单位在该时间段内未入库的缴费不一致",
        ["forbidden-collector"] = "该密钥只能为本单位办理汇缴",
        ["forbidden-unit"] = "该密钥只能查看本乡镇街道（社区）的数据",
        ["forbidden-channel"] = "社区（村）、乡镇街道只能登记现金缴费，其他渠道的缴费由税务回传或经办人员登记",
        ["cash-not-in-treasury"] = "代收的现金在汇缴入库前不算入库，请勿勾选已入库",
        ["invalid-headcount"] = "缴费人数应为正整数",
        ["invalid-collector"] = "代收单位应写为 community:名称、school:代码、township:名称 或 window",
        [TextLimits.TooLongCode] = "内容过长",
        [TextLimits.ControlCharactersCode] = "含有控制字符（如换行、NUL、ESC），请删除后重试",
        [TextLimits.TooManyCode] = "项目过多",
    };

    /// <summary>The Chinese for <paramref name="code"/>; a general sentence naming the code when there is none.</summary>
    public static string Chinese(string code)
    {
        if (Messages.TryGetValue(code, out var message))
        {
            return message;
        }

        var ledger = LedgerCodes.Message(code);
        return ledger != code ? ledger : $"请求无法处理（{code}）";
    }
}
