namespace Collection.Domain.Codes;

/// <summary>
/// The departments that send lists of subsidised people (issue 8; dalate-2022 §三 names who confirms
/// which identity: 旗民政局, 旗乡村振兴统筹发展中心, 旗残联, 旗民族事务委员会; luyang-2023 adds 卫生健康部门).
/// </summary>
public enum Department
{
    CivilAffairs,
    DisabledFederation,
    RuralRevitalisation,
    EthnicAffairs,
    Health,
}
