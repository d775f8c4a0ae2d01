namespace Collection.Files;

/// <summary>
/// A column a file may have: its canonical name (the API's camelCase field), the Chinese label
/// reports use, and the header texts people write for it. Aliases are matched after
/// <see cref="CellText.HeaderKey"/>: case, full-width, spaces, punctuation and a bracketed
/// suffix such as （元） or (是/否) do not matter.
/// </summary>
public sealed class FileField
{
    public FileField(string name, string label, params string[] aliases)
    {
        Name = name;
        Label = label;
        Aliases = [name, label, .. aliases];
    }

    public string Name { get; }

    public string Label { get; }

    public IReadOnlyList<string> Aliases { get; }

    public override string ToString() => Name;
}

/// <summary>Every column any uploaded file may have.</summary>
public static class FileFields
{
    public static readonly FileField Name = new("name", "姓名", "学生姓名", "参保人姓名", "缴费人姓名", "缴费人", "fullName", "studentName");
    public static readonly FileField IdNumber = new("idNumber", "公民身份号码", "身份证号", "身份证号码", "身份证", "公民身份证号", "公民身份证号码", "证件号码", "证件号", "身份证件号码", "缴费人证件号码", "学生身份证号", "idCard", "idCardNumber", "idNo", "identityNumber");
    public static readonly FileField IdType = new("idType", "证件类型", "证件种类", "身份证件类型", "documentType");
    public static readonly FileField Nationality = new("nationality", "国籍", "国籍代码", "国籍（地区）", "国籍(地区)");
    public static readonly FileField Gender = new("gender", "性别", "sex");
    public static readonly FileField BirthDate = new("birthDate", "出生日期", "出生年月日", "出生年月", "dateOfBirth", "birthday", "dob");
    public static readonly FileField StudentNumber = new("studentNumber", "学号", "学籍号", "全国学籍号", "studentId", "studentNo");
    public static readonly FileField Grade = new("grade", "年级", "入学年级");
    public static readonly FileField ClassName = new("className", "班级", "class", "班别");
    public static readonly FileField SubsidyIdentity = new("subsidyIdentity", "资助身份", "资助类别", "资助对象类别", "资助对象身份", "特殊身份", "特殊群体类别", "人员类别", "identity");
    public static readonly FileField PaymentMethod = new("paymentMethod", "缴费方式", "代收方式", "paymentMode");
    /// <summary>院系 of a university roster: the task is split by department (luyang-2023 五(四) "高校应将参保任务分解到院系").</summary>
    public static readonly FileField Faculty = new("faculty", "院系", "学院", "所在院系", "所在学院", "院系名称", "院（系）", "系别", "college");
    public static readonly FileField IsNewStudent = new("isNewStudent", "新生", "是否新生", "newStudent");
    public static readonly FileField Amount = new("amount", "金额", "缴费金额", "实缴金额", "缴款金额", "实缴金额合计", "paidAmount");
    public static readonly FileField PaidOn = new("paidOn", "缴费日期", "缴款日期", "缴费时间", "缴款时间", "paymentDate", "paidDate");
    public static readonly FileField Channel = new("channel", "缴费渠道", "缴款渠道", "缴费途径", "paymentChannel");
    public static readonly FileField TransactionId = new("transactionId", "交易流水号", "流水号", "交易号", "缴费流水号", "电子税票号码", "税票号码", "transactionNo", "serialNo");
    public static readonly FileField InTreasury = new("inTreasury", "是否入库", "入库", "入库状态", "已入库");
    public static readonly FileField Payer = new("payer", "缴费类型", "缴费人类型", "缴费主体", "payerType");
    public static readonly FileField Collector = new("collector", "代收单位", "代收点", "收款单位", "collectionAgent", "agent");
    public static readonly FileField AllowanceClass = new("allowanceClass", "低保类别", "低保类型", "低保档次", "minimumLivingAllowanceClass");
    public static readonly FileField Town = new("town", "乡镇街道", "乡镇", "街道", "所属乡镇", "所属街道", "乡镇（街道）", "乡镇/街道", "townOrStreet", "street");
    public static readonly FileField Change = new("change", "变动", "变动类型", "增减", "变动情况", "changeType");
    public static readonly FileField Phone = new("phone", "联系电话", "电话", "手机号", "手机号码", "联系方式", "mobile", "telephone");
    public static readonly FileField Address = new("address", "地址", "家庭住址", "住址", "居住地址", "户籍地址");
    public static readonly FileField SchoolName = new("schoolName", "学校名称", "学校", "院校名称", "school");
    public static readonly FileField Community = new("community", "社区（村）", "社区(村)", "社区", "村", "村居", "社区村", "村（社区）", "村(社区)", "所属社区", "所属村", "村委会", "居委会", "village");
    public static readonly FileField Category = new("category", "参保身份", "人员类别", "参保人员类别", "人员身份", "参保类别", "personCategory");
    public static readonly FileField Remarks = new("remarks", "备注", "说明", "remark", "note", "notes");

    /// <summary>
    /// Columns that are recognised and deliberately not used: a running number, and the three
    /// columns our own rejected-rows CSV adds, so a school can fix that file and upload it again.
    /// </summary>
    public static readonly FileField Ignored = new("ignored", "序号", "编号", "no", "行号", "原因代码", "原因说明", "lineNumber", "reasonCode", "reason");
}

/// <summary>The columns one kind of file has: those it must have and those it may have.</summary>
public sealed class FileLayout
{
    public FileLayout(string code, string label, IReadOnlyList<FileField> required, IReadOnlyList<FileField> optional)
    {
        Code = code;
        Label = label;
        Required = required;
        Optional = optional;
        Fields = [.. required, .. optional];
    }

    /// <summary>人员名册 of kindergartens, primary and secondary schools (wuhai-2022 §四(二), luyang-2023 §五(三)).</summary>
    public static FileLayout SchoolRoster { get; } = new(
        "school-roster",
        "学校人员名册",
        [FileFields.Name, FileFields.IdNumber],
        [FileFields.IdType, FileFields.Nationality, FileFields.Gender, FileFields.BirthDate, FileFields.StudentNumber, FileFields.Grade, FileFields.ClassName, FileFields.SubsidyIdentity, FileFields.AllowanceClass, FileFields.SchoolName, FileFields.Phone, FileFields.Address, FileFields.Remarks]);

    /// <summary>New-student list of a university (luyang-2023 §五(四)): unified collection or WeChat.</summary>
    public static FileLayout UniversityRoster { get; } = new(
        "university-roster",
        "高校新生名册",
        [FileFields.Name, FileFields.IdNumber],
        [FileFields.IdType, FileFields.Nationality, FileFields.Gender, FileFields.BirthDate, FileFields.StudentNumber, FileFields.Grade, FileFields.ClassName, FileFields.SubsidyIdentity, FileFields.AllowanceClass, FileFields.PaymentMethod, FileFields.IsNewStudent, FileFields.Faculty, FileFields.SchoolName, FileFields.Phone, FileFields.Address, FileFields.Remarks]);

    /// <summary>税务回传: every column a payment posting needs is required; the name is only for people reading it.</summary>
    public static FileLayout TaxPaymentReturn { get; } = new(
        "tax-payment-return",
        "税务缴费回传",
        [FileFields.IdNumber, FileFields.Amount, FileFields.PaidOn, FileFields.Channel, FileFields.TransactionId, FileFields.InTreasury],
        [FileFields.Name, FileFields.Payer, FileFields.Collector, FileFields.Remarks]);

    /// <summary>A department's list of subsidised people; 变动 defaults to 新增 when the column is absent or blank.</summary>
    public static FileLayout SubsidyList { get; } = new(
        "subsidy-list",
        "资助对象名单",
        [FileFields.Name, FileFields.IdNumber, FileFields.SubsidyIdentity],
        [FileFields.AllowanceClass, FileFields.Town, FileFields.Change, FileFields.Gender, FileFields.Phone, FileFields.Address, FileFields.Remarks]);

    /// <summary>
    /// 上年度参保缴费人员: last year's enrolled payers as the bureau exports them (wuhai-2022 四, bagongshan-2022 六(三)).
    /// 人员类别 here is the person's category (城乡居民, 在校学生, 特困人员 …), not a department's subsidy identity.
    /// </summary>
    public static FileLayout LastYearRoll { get; } = new(
        "last-year-roll",
        "上年度参保缴费人员名单",
        [FileFields.Name, FileFields.IdNumber],
        [FileFields.IdType, FileFields.Category, FileFields.Amount, FileFields.PaidOn, FileFields.Town, FileFields.Community, FileFields.SchoolName, FileFields.Phone, FileFields.Address, FileFields.Remarks]);

    public static IReadOnlyList<FileLayout> All { get; } = [SchoolRoster, UniversityRoster, TaxPaymentReturn, SubsidyList, LastYearRoll];

    public string Code { get; }

    public string Label { get; }

    public IReadOnlyList<FileField> Required { get; }

    public IReadOnlyList<FileField> Optional { get; }

    public IReadOnlyList<FileField> Fields { get; }
}
