using Collection.Domain.Codes;
using Collection.Domain.Policies;

namespace Collection.Domain.Subsidies;

/// <summary>
/// Which identities an assessment applies: those the departments' lists confirm for the person on the day,
/// and — only where the policy says so — those claimed at a window or in a roster that no list confirms yet
/// (baiyin-2023 八(四) "医疗保障部门要加强源头把关确保参保人身份真实"). <see cref="Unconfirmed"/> are the claims no
/// list confirms, recorded and shown as such.
/// </summary>
public sealed record ClaimedIdentities(SubsidyIdentitySet Applied, AllowanceClass? AllowanceClass, SubsidyIdentitySet Confirmed, SubsidyIdentitySet Unconfirmed)
{
    /// <param name="confirmed">The identities in force for the person on the day, from the lists.</param>
    /// <param name="confirmedClass">The 低保 class a list gives, if any.</param>
    /// <param name="claimed">The identities typed at the window or in the roster.</param>
    /// <param name="claimedClass">The 低保 class typed, if any.</param>
    public static ClaimedIdentities Resolve(Policy policy, SubsidyIdentitySet confirmed, AllowanceClass? confirmedClass, SubsidyIdentitySet claimed, AllowanceClass? claimedClass)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var unconfirmed = new SubsidyIdentitySet(claimed.Bits & ~confirmed.Bits);
        var applied = policy.UnconfirmedClaimsSubsidise ? new SubsidyIdentitySet(confirmed.Bits | unconfirmed.Bits) : confirmed;

        // The list's class where the list gives one; a class typed at the window fills in a list that gives none
        // (it cannot make someone 低保, only say which 低保 a confirmed one is).
        AllowanceClass? allowanceClass = applied.Contains(SubsidyIdentity.MinimumLivingAllowance) ? confirmedClass ?? claimedClass : null;
        return new ClaimedIdentities(applied, allowanceClass, confirmed, unconfirmed);
    }
}
