using System.Numerics;
using Collection.Domain.Codes;
using Collection.Domain.Policies;

namespace Collection.Domain.Assessments;

/// <summary>
/// The assessment (核定): what a person owes under a policy on a day, what government pays, and when
/// coverage runs. Pure and allocation-free: the policy is precompiled, the answer is a struct.
/// </summary>
public static class AssessmentEngine
{
    /// <param name="today">The assessment day (China calendar); used when the request gives no date.</param>
    public static Assessment Assess(Policy policy, AssessmentRequest request, DateOnly today)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(request);

        var date = request.Date ?? today;
        var population = request.Population;
        var isNewborn = population == Population.Newborn;

        DateOnly birth;
        // An older foreign card or a passport encodes no birth date: it is given beside the number.
        if (request.Id is { EncodesBirthDate: true } id)
        {
            birth = id.BirthDate;
            if (request.BirthDate is { } given && given != birth)
            {
                return Failure(AssessmentError.BirthDateMismatch);
            }
        }
        else if (request.BirthDate is { } given)
        {
            birth = given;
        }
        else
        {
            return Failure(AssessmentError.MissingBirthDate);
        }

        // Only a child registered before birth can be assessed before it is born.
        if (birth > date && !isNewborn)
        {
            return Failure(AssessmentError.BirthDateInFuture);
        }

        var newborn = request.Newborn ?? default;
        var reasons = IneligibilityReasons.None;
        if (request.InEmployeeInsurance)
        {
            reasons |= IneligibilityReasons.InEmployeeInsurance;
        }

        if (!request.LocalHukou
            && policy.NonLocalNeedsResidencePermit
            && !request.ResidencePermit
            && (policy.NonLocalExemptPopulations & (1u << (int)population)) == 0
            && !(isNewborn && newborn.ParentInsured && policy.NewbornWithInsuredParentExempt)
            && !(request.LivesWithLocallyInsuredParent && policy.MinorWithLocallyInsuredParentExempt && IsMinorOn(birth, date)))
        {
            reasons |= IneligibilityReasons.NoResidencePermit;
        }

        var rate = FindRate(policy, population, birth);
        var standard = rate.Amount;

        // Several identities: the single highest subsidy, never a sum (就高不重复). Rules are weighed in
        // order; a later one wins only when strictly higher, or as high and in a better mode.
        CompiledSubsidy? best = null;
        var bestAmount = 0m;
        var bestOrder = 0;

        // The strongest rule whose allowance class decides it but was not given: it matters only if it
        // could beat the best known one (baiyin-2023 三 “按照就高不重复原则实行参保资助”: 特困 with a 低保
        // of unknown class is waived whatever the class).
        CompiledSubsidy? unclassed = null;
        var unclassedAmount = 0m;
        var unclassedOrder = 0;
        var order = 0;
        var bits = request.Identities.Bits;
        while (bits != 0)
        {
            var identity = BitOperations.TrailingZeroCount(bits);
            bits &= bits - 1;
            if (identity >= policy.SubsidiesByIdentity.Length)
            {
                continue;
            }

            foreach (var rule in policy.SubsidiesByIdentity[identity])
            {
                order++;
                if (rule.RequiresLocalHukou && !request.LocalHukou)
                {
                    continue;
                }

                var amount = rule.AmountByRate[rate.Index];
                if (rule.AllowanceClasses != 0)
                {
                    if (request.AllowanceClass is not { } allowanceClass)
                    {
                        if (Beats(rule, amount, unclassed, unclassedAmount))
                        {
                            (unclassed, unclassedAmount, unclassedOrder) = (rule, amount, order);
                        }

                        continue;
                    }

                    if ((rule.AllowanceClasses & (1u << (int)allowanceClass)) == 0)
                    {
                        continue;
                    }
                }

                if (Beats(rule, amount, best, bestAmount))
                {
                    (best, bestAmount, bestOrder) = (rule, amount, order);
                }
            }
        }

        // The class decides the amount: where it could change the answer, a missing class is an error, never a guess.
        if (unclassed is not null
            && (Beats(unclassed, unclassedAmount, best, bestAmount)
                || (best is not null && unclassedAmount == bestAmount && Rank(unclassed.Mode) == Rank(best.Mode) && unclassedOrder < bestOrder)))
        {
            return Failure(AssessmentError.MissingAllowanceClass);
        }

        var mode = best is null || bestAmount == 0 ? SubsidyMode.None : best.Mode;
        var subsidy = mode == SubsidyMode.None ? 0m : bestAmount;

        CompiledNewbornRule? newbornRule = isNewborn ? FindNewbornRule(policy, birth, date, newborn) : null;
        if (newbornRule is { Free: true })
        {
            standard = 0m;
            subsidy = 0m;
            mode = SubsidyMode.None;
        }

        DateOnly coverageStart = policy.CoverageStart;

        // University payment rules date cover from the payment itself, even before the coverage year
        // (luyang-2023: "自代收费用之日起可享受居民医保待遇"); every other rule starts within the year.
        var startsWithinYear = true;
        if (newbornRule is { IgnoresCollectionPeriod: true })
        {
            coverageStart = Start(newbornRule.CoverageFrom, policy, date, birth);
        }
        else if (date < policy.CollectionStart)
        {
            reasons |= IneligibilityReasons.CollectionNotOpen;
        }
        else if (date <= policy.CollectionEnd)
        {
            if (newbornRule is not null)
            {
                coverageStart = Start(newbornRule.CoverageFrom, policy, date, birth);
            }
            else if (population == Population.UniversityStudent && policy.HasUniversityRules
                && !(policy.UniversityNewStudentsOnly && request.NewStudent == false))
            {
                if (request.PaymentMode is not { } paymentMode)
                {
                    return Failure(AssessmentError.MissingPaymentMode);
                }

                if (policy.UniversityCoverage[(int)paymentMode] is { } from)
                {
                    coverageStart = Start(from, policy, date, birth);
                    startsWithinYear = false;
                }
            }
        }
        else if (FindLateRule(policy, date, request.MigrantWorkerWithProof, mode) is { } late)
        {
            coverageStart = Start(late.CoverageFrom, policy, date, birth).AddMonths(late.WaitingMonths);
        }
        else
        {
            reasons |= IneligibilityReasons.CollectionClosed;
        }

        // Nobody is covered before the coverage year starts, nor before being born.
        if (startsWithinYear && coverageStart < policy.CoverageStart)
        {
            coverageStart = policy.CoverageStart;
        }

        if (coverageStart < birth)
        {
            coverageStart = birth;
        }

        if (coverageStart > policy.CoverageEnd && (reasons & (IneligibilityReasons.CollectionClosed | IneligibilityReasons.CollectionNotOpen)) == 0)
        {
            reasons |= IneligibilityReasons.NoCoverageLeft;
        }

        if (reasons != IneligibilityReasons.None)
        {
            return new Assessment
            {
                Eligible = false,
                Reasons = reasons,
                StandardContribution = standard,
                BirthDate = birth,
                NewbornRuleApplied = newbornRule is not null,
            };
        }

        return new Assessment
        {
            Eligible = true,
            StandardContribution = standard,
            Subsidy = subsidy,
            SubsidyMode = mode,
            SubsidyIdentity = mode == SubsidyMode.None ? null : best!.Identity,
            Payable = mode switch
            {
                SubsidyMode.Waived => 0m,
                SubsidyMode.Deducted => standard - subsidy,
                _ => standard,
            },
            Rebate = mode == SubsidyMode.Rebate ? subsidy : 0m,
            CoverageStart = coverageStart,
            CoverageEnd = policy.CoverageEnd,
            BirthDate = birth,
            CoverageFromPaymentDay = !startsWithinYear,
            NewbornRuleApplied = newbornRule is not null,
        };
    }

    private static Assessment Failure(AssessmentError error) => new() { Error = error };

    /// <summary>未成年人: under 18 on the day (民法典 第十七条 “不满十八周岁的自然人为未成年人”).</summary>
    private static bool IsMinorOn(DateOnly birth, DateOnly date) => birth.AddYears(18) > date;

    // On equal amounts the person pays least up front: waived, then deducted, then rebate.
    /// <summary>Whether <paramref name="rule"/> replaces <paramref name="best"/>: strictly higher, or as high in a better mode.</summary>
    private static bool Beats(CompiledSubsidy rule, decimal amount, CompiledSubsidy? best, decimal bestAmount) =>
        amount > bestAmount || (amount == bestAmount && best is not null && Rank(rule.Mode) < Rank(best.Mode));

    private static int Rank(SubsidyMode mode) => mode switch
    {
        SubsidyMode.Waived => 0,
        SubsidyMode.Deducted => 1,
        _ => 2,
    };

    private static CompiledRate FindRate(Policy policy, Population population, DateOnly birth)
    {
        var bit = 1u << (int)population;
        foreach (var rate in policy.Rates)
        {
            if ((rate.Populations & bit) != 0 && birth >= rate.BornOnOrAfter && birth < rate.BornBefore)
            {
                return rate;
            }
        }

        // The reader guarantees a rate without birth-date conditions for every population.
        throw new InvalidOperationException($"Policy {policy.Code} has no rate for {population}.");
    }

    private static CompiledNewbornRule? FindNewbornRule(Policy policy, DateOnly birth, DateOnly date, NewbornFacts facts)
    {
        var registration = facts.RegistrationDate ?? date;
        var beforeBirth = facts.RegisteredBeforeBirth ?? registration < birth;
        foreach (var rule in policy.NewbornRules)
        {
            if ((rule.RequiresParentInsured && !facts.ParentInsured)
                || (rule.RegisteredBeforeBirth is { } needed && needed != beforeBirth)
                || (rule.BornInCoverageYear && (birth < policy.CoverageStart || birth > policy.CoverageEnd))
                || (rule.RegisteredInBirthYear && registration.Year != birth.Year)
                || (rule.RegisteredWithinMonthsOfBirth is { } months && registration > birth.AddMonths(months)))
            {
                continue;
            }

            return rule;
        }

        return null;
    }

    private static CompiledLateRule? FindLateRule(Policy policy, DateOnly date, bool migrantWorkerWithProof, SubsidyMode mode)
    {
        foreach (var rule in policy.LateRules)
        {
            if (date > rule.Until
                || (rule.RequiresMigrantWorkerProof && !migrantWorkerWithProof)
                || (rule.SubsidyModes != 0 && (rule.SubsidyModes & (1u << (int)mode)) == 0))
            {
                continue;
            }

            return rule;
        }

        return null;
    }

    private static DateOnly Start(CoverageFrom from, Policy policy, DateOnly date, DateOnly birth) => from switch
    {
        CoverageFrom.Birth => birth,
        CoverageFrom.PaymentDate => date,
        CoverageFrom.DayAfterPayment => date.AddDays(1),
        _ => policy.CoverageStart,
    };
}
