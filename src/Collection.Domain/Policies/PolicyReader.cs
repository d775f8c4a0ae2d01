using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Collection.Domain.Codes;

namespace Collection.Domain.Policies;

/// <summary>A policy file that cannot be used; names the file and the field.</summary>
public sealed class PolicyValidationException : Exception
{
    public PolicyValidationException(string file, string field, string problem)
        : base($"Policy file '{file}' is invalid at '{field}': {problem}")
    {
        File = file;
        Field = field;
        Problem = problem;
    }

    public PolicyValidationException()
    {
        File = Field = Problem = "";
    }

    public PolicyValidationException(string message)
        : base(message)
    {
        File = Field = Problem = "";
    }

    public PolicyValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
        File = Field = Problem = "";
    }

    public string File { get; }

    public string Field { get; }

    public string Problem { get; }
}

/// <summary>Reads, validates and compiles policy documents. Pure: it is given the text, not a path to open.</summary>
public static class PolicyReader
{
    public const int DefaultRefundReminderDays = 5;

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Parses and validates <paramref name="json"/>; <paramref name="file"/> names it in errors.</summary>
    public static Policy Read(string json, string file)
    {
        PolicyDocument? document;
        try
        {
            document = JsonSerializer.Deserialize<PolicyDocument>(json, JsonOptions);
        }
        catch (JsonException e)
        {
            throw new PolicyValidationException(file, Field(e.Path), e.Message);
        }

        if (document is null)
        {
            throw new PolicyValidationException(file, "$", "the file holds no policy object");
        }

        return new Compiler(file, document).Compile();
    }

    private static string Field(string? jsonPath) =>
        string.IsNullOrEmpty(jsonPath) || jsonPath == "$" ? "$" : jsonPath.StartsWith("$.", StringComparison.Ordinal) ? jsonPath[2..] : jsonPath;

    private sealed class Compiler(string file, PolicyDocument doc)
    {
        public Policy Compile()
        {
            var code = Required(doc.Code, "code");
            if (!System.Text.RegularExpressions.Regex.IsMatch(code, "^[a-z][a-z0-9-]*-[0-9]{4}$"))
            {
                Fail("code", $"'{code}' is not a policy code (kebab-case ending in the coverage year, e.g. wuhai-2022)");
            }

            var name = Required(doc.Name, "name");
            var region = Required(doc.Region, "region");
            if (region.Length != 6 || !region.All(char.IsAsciiDigit))
            {
                Fail("region", $"'{region}' is not a six-digit region code");
            }

            var (collectionStart, collectionEnd) = Period(doc.Collection, "collection");
            var (coverageStart, coverageEnd) = Period(doc.Coverage, "coverage");
            if (!code.EndsWith(coverageStart.Year.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal))
            {
                Fail("code", $"policies are keyed by the coverage year; '{code}' does not end in {coverageStart.Year}");
            }

            var rates = CompileRates();
            var subsidies = CompileSubsidies(rates);
            var combination = doc.SubsidyCombination ?? "highest-single";
            if (combination != "highest-single")
            {
                Fail("subsidyCombination", $"'{combination}' is not supported (only 'highest-single', 就高不重复)");
            }

            var eligibility = doc.Eligibility ?? new EligibilityRules();
            uint exempt = 0;
            for (var i = 0; i < (eligibility.NonLocalExemptPopulations?.Count ?? 0); i++)
            {
                exempt |= 1u << (int)ParseCode(Glossary.Populations, eligibility.NonLocalExemptPopulations![i], $"eligibility.nonLocalExemptPopulations[{i}]");
            }

            var late = CompileLateRules(collectionEnd, coverageEnd);
            var newborns = CompileNewbornRules();
            var (university, hasUniversity) = CompileUniversity();
            var ages = CompilePlausibleAges();
            ValidateFiscal();
            ValidateTargets();
            var refunds = doc.Refunds ?? new RefundRules();
            var reminderDays = refunds.ReminderDays ?? DefaultRefundReminderDays;
            if (reminderDays < 1)
            {
                Fail("refunds.reminderDays", "must be at least 1 day");
            }

            ValidateDeadlines();
            var (departmentIdentities, excluding, labels) = CompileSubsidyLists();

            return new Policy(doc)
            {
                Code = code,
                Name = name,
                Region = region,
                CollectionStart = collectionStart,
                CollectionEnd = collectionEnd,
                CoverageStart = coverageStart,
                CoverageEnd = coverageEnd,
                Rates = rates,
                SubsidiesByIdentity = subsidies,
                NonLocalNeedsResidencePermit = eligibility.NonLocalNeedsResidencePermit,
                NonLocalExemptPopulations = exempt,
                NewbornWithInsuredParentExempt = eligibility.NewbornWithInsuredParentExempt,
                MinorWithLocallyInsuredParentExempt = eligibility.MinorWithLocallyInsuredParentExempt,
                LateRules = late,
                NewbornRules = newborns,
                UniversityCoverage = university,
                HasUniversityRules = hasUniversity,
                UniversityNewStudentsOnly = doc.UniversityStudents?.NewStudentsOnly ?? false,
                PlausibleAges = ages,
                RefundReminderDays = reminderDays,
                RepaymentDeadline = OptionalDate(refunds.RepaymentDeadline, "refunds.repaymentDeadline"),
                CashRemittanceDays = Duty("cash-remittance")?.WithinDays,
                CashRemittanceAmount = Duty("cash-remittance")?.AmountLimit,
                UniversityRemittanceBy = OptionalDate(Duty("university-remittance")?.Date, "deadlines[university-remittance].date"),
                UniversityListBy = OptionalDate(Duty("university-list")?.Date, "deadlines[university-list].date"),
                SubsidyTransferBy = OptionalDate(Duty("subsidy-transfer")?.Date, "deadlines[subsidy-transfer].date"),
                RefundReasons = Codes(Glossary.RefundReasons, refunds.Reasons, "refunds.reasons"),
                RefundReasonsBeforeCollectionEnd = Codes(Glossary.RefundReasons, refunds.ReasonsBeforeCollectionEnd, "refunds.reasonsBeforeCollectionEnd"),
                RefundChannels = Codes(Glossary.RefundChannels, refunds.Channels, "refunds.channels"),
                TopUpOnIncrease = doc.SubsidyChanges?.TopUpOnIncrease ?? false,
                ClawBackOnDecrease = doc.SubsidyChanges?.ClawBackOnDecrease ?? false,
                UnconfirmedClaimsSubsidise = doc.SubsidyLists?.UnconfirmedClaimsSubsidise ?? false,
                DepartmentIdentities = departmentIdentities,
                DepartmentsExcludingEmployeeInsured = excluding,
                IdentityLabels = labels,
            };
        }

        private (SubsidyIdentitySet?[] Departments, uint ExcludingEmployeeInsured, IReadOnlyDictionary<string, SubsidyIdentity> Labels) CompileSubsidyLists()
        {
            var departments = new SubsidyIdentitySet?[Enum.GetValues<Department>().Length];
            uint excluding = 0;
            var lists = doc.SubsidyLists ?? new SubsidyListRules();
            for (var i = 0; i < (lists.Departments?.Count ?? 0); i++)
            {
                var field = $"subsidyLists.departments[{i}]";
                var rule = lists.Departments![i];
                var department = ParseCode(Glossary.Departments, rule.Department, $"{field}.department");
                if (departments[(int)department] is not null)
                {
                    Fail($"{field}.department", "listed twice");
                }

                if (rule.Identities is not { Count: > 0 })
                {
                    Fail($"{field}.identities", "at least one identity is required");
                }

                var set = SubsidyIdentitySet.Empty;
                for (var k = 0; k < rule.Identities!.Count; k++)
                {
                    set = set.With(ParseCode(Glossary.SubsidyIdentities, rule.Identities[k], $"{field}.identities[{k}]"));
                }

                departments[(int)department] = set;
                if (rule.ExcludesEmployeeInsured)
                {
                    excluding |= 1u << (int)department;
                }
            }

            // Once any department is named, the others confirm nothing under this policy.
            if (lists.Departments is { Count: > 0 })
            {
                for (var d = 0; d < departments.Length; d++)
                {
                    departments[d] ??= SubsidyIdentitySet.Empty;
                }
            }

            var labels = new Dictionary<string, SubsidyIdentity>(StringComparer.Ordinal);
            for (var i = 0; i < (lists.Labels?.Count ?? 0); i++)
            {
                var field = $"subsidyLists.labels[{i}]";
                var label = Required(lists.Labels![i].Label, $"{field}.label");
                var identity = ParseCode(Glossary.SubsidyIdentities, lists.Labels[i].Identity, $"{field}.identity");
                if (!labels.TryAdd(CodeBook<SubsidyIdentity>.Normalise(label), identity))
                {
                    Fail($"{field}.label", $"'{label}' is listed twice");
                }
            }

            return (departments, excluding, labels);
        }

        private CompiledRate[] CompileRates()
        {
            if (doc.Rates is not { Count: > 0 })
            {
                Fail("rates", "at least one rate is required");
            }

            var rates = new CompiledRate[doc.Rates!.Count];
            uint covered = 0;
            for (var i = 0; i < rates.Length; i++)
            {
                var field = $"rates[{i}]";
                var rule = doc.Rates[i] ?? throw Error(field, "must be an object");
                if (rule.Populations is not { Count: > 0 })
                {
                    Fail($"{field}.populations", "at least one population is required");
                }

                uint populations = 0;
                for (var p = 0; p < rule.Populations!.Count; p++)
                {
                    populations |= 1u << (int)ParseCode(Glossary.Populations, rule.Populations[p], $"{field}.populations[{p}]");
                }

                var amount = rule.Amount ?? throw Error($"{field}.amount", "is required");
                if (amount < 0)
                {
                    Fail($"{field}.amount", "must not be negative");
                }

                var from = OptionalDate(rule.BornOnOrAfter, $"{field}.bornOnOrAfter") ?? DateOnly.MinValue;
                var before = OptionalDate(rule.BornBefore, $"{field}.bornBefore") ?? DateOnly.MaxValue;
                if (from >= before)
                {
                    Fail($"{field}.bornBefore", "must be after bornOnOrAfter");
                }

                rates[i] = new CompiledRate(populations, from, before, Yuan(amount), i);
                if (from == DateOnly.MinValue && before == DateOnly.MaxValue)
                {
                    covered |= populations;
                }
            }

            // Every population must get a rate whatever the birth date, or an assessment could find none.
            foreach (var population in Enum.GetValues<Population>())
            {
                if ((covered & (1u << (int)population)) == 0)
                {
                    Fail("rates", $"no rate without a birth-date condition covers population '{Glossary.Populations.Code(population)}'");
                }
            }

            return rates;
        }

        private CompiledSubsidy[][] CompileSubsidies(CompiledRate[] rates)
        {
            var byIdentity = Enum.GetValues<SubsidyIdentity>().Select(_ => new List<CompiledSubsidy>()).ToArray();
            for (var i = 0; i < (doc.Subsidies?.Count ?? 0); i++)
            {
                var field = $"subsidies[{i}]";
                var rule = doc.Subsidies![i] ?? throw Error(field, "must be an object");
                var mode = ParseCode(Glossary.SubsidyModes, rule.Mode, $"{field}.mode");
                if (mode == SubsidyMode.None)
                {
                    Fail($"{field}.mode", "must be waived, deducted or rebate");
                }

                if (mode == SubsidyMode.Waived && (rule.Amount is not null || rule.Ratio is not null))
                {
                    Fail($"{field}.mode", "a waived subsidy is the whole personal share: give no amount or ratio");
                }

                if (mode != SubsidyMode.Waived && (rule.Amount is null) == (rule.Ratio is null))
                {
                    Fail($"{field}.amount", "give exactly one of amount or ratio");
                }

                if (rule.Amount is < 0)
                {
                    Fail($"{field}.amount", "must not be negative");
                }

                if (rule.Ratio is < 0 or > 1)
                {
                    Fail($"{field}.ratio", "must be between 0 and 1");
                }

                uint classes = 0;
                for (var c = 0; c < (rule.AllowanceClasses?.Count ?? 0); c++)
                {
                    classes |= 1u << (int)ParseCode(Glossary.AllowanceClasses, rule.AllowanceClasses![c], $"{field}.allowanceClasses[{c}]");
                }

                if (rule.Identities is not { Count: > 0 })
                {
                    Fail($"{field}.identities", "at least one identity is required");
                }

                var amounts = new decimal[rates.Length];
                for (var r = 0; r < rates.Length; r++)
                {
                    var standard = rates[r].Amount;
                    amounts[r] = Yuan(mode == SubsidyMode.Waived ? standard
                        : rule.Amount is { } fixedAmount ? Math.Min(fixedAmount, standard)
                        : Math.Round(standard * rule.Ratio!.Value, 2, MidpointRounding.AwayFromZero));
                }

                for (var k = 0; k < rule.Identities!.Count; k++)
                {
                    var identity = ParseCode(Glossary.SubsidyIdentities, rule.Identities[k], $"{field}.identities[{k}]");
                    var list = byIdentity[(int)identity];
                    if (classes != 0 && identity != SubsidyIdentity.MinimumLivingAllowance)
                    {
                        Fail($"{field}.allowanceClasses", "classes apply to minimum-living-allowance only");
                    }

                    if (list.Exists(s => (s.AllowanceClasses & classes) != 0 || (s.AllowanceClasses == 0) != (classes == 0) || (classes == 0 && s.AllowanceClasses == 0)))
                    {
                        Fail($"{field}.identities[{k}]", $"'{Glossary.SubsidyIdentities.Code(identity)}' already has a subsidy rule for the same class");
                    }

                    list.Add(new CompiledSubsidy(identity, mode, classes, rule.RequiresLocalHukou, amounts));
                }
            }

            return byIdentity.Select(l => l.ToArray()).ToArray();
        }

        private CompiledLateRule[] CompileLateRules(DateOnly collectionEnd, DateOnly coverageEnd)
        {
            var rules = new CompiledLateRule[doc.LateEnrolment?.Count ?? 0];
            for (var i = 0; i < rules.Length; i++)
            {
                var field = $"lateEnrolment[{i}]";
                var rule = doc.LateEnrolment![i] ?? throw Error(field, "must be an object");
                var until = OptionalDate(rule.Until, $"{field}.until") ?? coverageEnd;
                if (until <= collectionEnd)
                {
                    Fail($"{field}.until", "must be after the collection period ends");
                }

                uint modes = 0;
                for (var m = 0; m < (rule.RequiresSubsidyModes?.Count ?? 0); m++)
                {
                    modes |= 1u << (int)ParseCode(Glossary.SubsidyModes, rule.RequiresSubsidyModes![m], $"{field}.requiresSubsidyModes[{m}]");
                }

                var from = Coverage(rule.CoverageFrom, $"{field}.coverageFrom", CoverageFrom.PaymentDate, CoverageFrom.DayAfterPayment);
                if (rule.WaitingMonths is < 0 or > 12)
                {
                    Fail($"{field}.waitingMonths", "must be between 0 and 12");
                }

                rules[i] = new CompiledLateRule(until, rule.RequiresMigrantWorkerProof, modes, from, rule.WaitingMonths);
            }

            return rules;
        }

        private CompiledNewbornRule[] CompileNewbornRules()
        {
            var rules = new CompiledNewbornRule[doc.Newborns?.Count ?? 0];
            for (var i = 0; i < rules.Length; i++)
            {
                var field = $"newborns[{i}]";
                var rule = doc.Newborns![i] ?? throw Error(field, "must be an object");
                if (rule.RegisteredWithinMonthsOfBirth is < 0 or > 24)
                {
                    Fail($"{field}.registeredWithinMonthsOfBirth", "must be between 0 and 24");
                }

                var from = Coverage(rule.CoverageFrom, $"{field}.coverageFrom", CoverageFrom.Birth, CoverageFrom.PaymentDate, CoverageFrom.DayAfterPayment, CoverageFrom.CoverageStart);
                rules[i] = new CompiledNewbornRule(rule.RequiresParentInsured, rule.RegisteredBeforeBirth, rule.BornInCoverageYear,
                    rule.RegisteredInBirthYear, rule.RegisteredWithinMonthsOfBirth, rule.Free, rule.IgnoresCollectionPeriod, from);
            }

            return rules;
        }

        private (CoverageFrom?[] Coverage, bool Any) CompileUniversity()
        {
            var coverage = new CoverageFrom?[Enum.GetValues<UniversityPaymentMode>().Length];
            var modes = doc.UniversityStudents?.PaymentModes;
            for (var i = 0; i < (modes?.Count ?? 0); i++)
            {
                var field = $"universityStudents.paymentModes[{i}]";
                var rule = modes![i] ?? throw Error(field, "must be an object");
                var mode = ParseCode(Glossary.UniversityPaymentModes, rule.Mode, $"{field}.mode");
                if (coverage[(int)mode] is not null)
                {
                    Fail($"{field}.mode", "listed twice");
                }

                coverage[(int)mode] = Coverage(rule.CoverageFrom, $"{field}.coverageFrom", CoverageFrom.PaymentDate, CoverageFrom.DayAfterPayment);
            }

            return (coverage, modes is { Count: > 0 });
        }

        private AgeRange?[] CompilePlausibleAges()
        {
            var ages = new AgeRange?[Enum.GetValues<Population>().Length];
            for (var i = 0; i < (doc.PlausibleAges?.Count ?? 0); i++)
            {
                var field = $"plausibleAges[{i}]";
                var rule = doc.PlausibleAges![i] ?? throw Error(field, "must be an object");
                var min = rule.Min ?? throw Error($"{field}.min", "is required");
                var max = rule.Max ?? throw Error($"{field}.max", "is required");
                if (min < 0 || max < min || max > 150)
                {
                    Fail($"{field}.max", "min and max must satisfy 0 <= min <= max <= 150");
                }

                if (rule.Populations is not { Count: > 0 })
                {
                    Fail($"{field}.populations", "at least one population is required");
                }

                for (var p = 0; p < rule.Populations!.Count; p++)
                {
                    var population = ParseCode(Glossary.Populations, rule.Populations[p], $"{field}.populations[{p}]");
                    if (ages[(int)population] is not null)
                    {
                        Fail($"{field}.populations[{p}]", $"'{Glossary.Populations.Code(population)}' has limits already");
                    }

                    ages[(int)population] = new AgeRange(min, max);
                }
            }

            return ages;
        }

        private void ValidateFiscal()
        {
            if (doc.FiscalSubsidy is not { } fiscal)
            {
                return;
            }

            var total = fiscal.TotalPerPerson ?? throw Error("fiscalSubsidy.totalPerPerson", "is required");
            if (fiscal.FinancingPerPerson is { } financing && financing < total)
            {
                Fail("fiscalSubsidy.financingPerPerson", $"{financing} is less than the government's {total}");
            }

            if (fiscal.CriticalIllnessPerPerson is < 0)
            {
                Fail("fiscalSubsidy.criticalIllnessPerPerson", "must not be negative");
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < (fiscal.Tiers?.Count ?? 0); i++)
            {
                var field = $"fiscalSubsidy.tiers[{i}]";
                var tier = fiscal.Tiers![i] ?? throw Error(field, "must be an object");
                if (tier.Central < 0 || tier.Provincial < 0 || tier.City < 0 || tier.County < 0)
                {
                    Fail(field, "shares must not be negative");
                }

                var sum = tier.Central + tier.Provincial + tier.City + tier.County;
                if (sum != total)
                {
                    Fail(field, $"central + provincial + city + county = {sum}, not the total {total}");
                }

                if (tier.Counties is not { Count: > 0 })
                {
                    Fail($"{field}.counties", "at least one county is required");
                }

                for (var c = 0; c < tier.Counties!.Count; c++)
                {
                    var county = Required(tier.Counties[c]?.Code, $"{field}.counties[{c}].code");
                    if (county.Length != 6 || !county.All(char.IsAsciiDigit))
                    {
                        Fail($"{field}.counties[{c}].code", $"'{county}' is not a six-digit region code");
                    }

                    if (!seen.Add(county))
                    {
                        Fail($"{field}.counties[{c}].code", $"'{county}' is in two tiers");
                    }
                }
            }
        }

        private void ValidateTargets()
        {
            if (doc.Targets is not { } targets)
            {
                return;
            }

            if (targets.EnrolmentRate is < 0 or > 1)
            {
                Fail("targets.enrolmentRate", "must be between 0 and 1");
            }

            for (var k = 0; k < (targets.RateIdentities?.Count ?? 0); k++)
            {
                ParseCode(Glossary.SubsidyIdentities, targets.RateIdentities![k], $"targets.rateIdentities[{k}]");
            }

            if (targets.UnitsFrom is not (null or "policy" or "uploaded"))
            {
                Fail("targets.unitsFrom", $"'{targets.UnitsFrom}' is not 'policy' or 'uploaded'");
            }

            if (targets.UnitsFrom == "uploaded" && targets.Units is { Count: > 0 })
            {
                Fail("targets.unitsFrom", "'uploaded' units cannot also be given in the file");
            }

            var names = new HashSet<string>(StringComparer.Ordinal);
            var sum = 0;
            for (var i = 0; i < (targets.Units?.Count ?? 0); i++)
            {
                var unit = targets.Units![i] ?? throw Error($"targets.units[{i}]", "must be an object");
                Required(unit.Name, $"targets.units[{i}].name");
                for (var k = 0; k < (unit.Populations?.Count ?? 0); k++)
                {
                    ParseCode(Glossary.Populations, unit.Populations![k], $"targets.units[{i}].populations[{k}]");
                }

                for (var k = 0; k < (unit.Identities?.Count ?? 0); k++)
                {
                    ParseCode(Glossary.SubsidyIdentities, unit.Identities![k], $"targets.units[{i}].identities[{k}]");
                }

                if (!names.Add(unit.Name!))
                {
                    Fail($"targets.units[{i}].name", $"'{unit.Name}' is listed twice");
                }
                if (unit.People <= 0)
                {
                    Fail($"targets.units[{i}].people", "must be positive");
                }

                sum += unit.People;
            }

            if (targets.Total is { } total && targets.Units is { Count: > 0 } && total != sum)
            {
                Fail("targets.total", $"the units add up to {sum}, not {total}");
            }
        }

        private Deadline? Duty(string code) => doc.Deadlines?.FirstOrDefault(d => d?.Code == code);

        private void ValidateDeadlines()
        {
            for (var i = 0; i < (doc.Deadlines?.Count ?? 0); i++)
            {
                var field = $"deadlines[{i}]";
                var deadline = doc.Deadlines![i] ?? throw Error(field, "must be an object");
                Required(deadline.Code, $"{field}.code");
                if ((deadline.Date is null ? 0 : 1) + (deadline.DayOfMonth is null ? 0 : 1) + (deadline.WithinDays is null ? 0 : 1) != 1)
                {
                    Fail(field, "give exactly one of date, dayOfMonth or withinDays");
                }

                if (deadline.WithinDays is < 0 || deadline.AmountLimit is <= 0)
                {
                    Fail(field, "withinDays must not be negative and amountLimit must be positive");
                }

                OptionalDate(deadline.Date, $"{field}.date");
                if (deadline.DayOfMonth is < 1 or > 31)
                {
                    Fail($"{field}.dayOfMonth", "must be between 1 and 31");
                }
            }
        }

        private (DateOnly Start, DateOnly End) Period(DatePeriod? period, string field)
        {
            if (period is null)
            {
                Fail(field, "is required");
            }

            var start = OptionalDate(period!.Start, $"{field}.start") ?? throw Error($"{field}.start", "is required");
            var end = OptionalDate(period.End, $"{field}.end") ?? throw Error($"{field}.end", "is required");
            if (end < start)
            {
                Fail($"{field}.end", "is before the start");
            }

            return (start, end);
        }

        private CoverageFrom Coverage(string? text, string field, params CoverageFrom[] allowed)
        {
            var names = allowed.Select(Name).ToArray();
            var index = Array.IndexOf(names, text);
            if (index < 0)
            {
                Fail(field, $"'{text}' is not one of {string.Join(", ", names)}");
            }

            return allowed[index];

            static string Name(CoverageFrom from) => from switch
            {
                CoverageFrom.Birth => "birth",
                CoverageFrom.PaymentDate => "payment-date",
                CoverageFrom.DayAfterPayment => "day-after-payment",
                _ => "coverage-start",
            };
        }

        private List<T> Codes<T>(CodeBook<T> book, List<string>? texts, string field)
            where T : struct, Enum
        {
            var values = new List<T>();
            for (var i = 0; i < (texts?.Count ?? 0); i++)
            {
                values.Add(ParseCode(book, texts![i], $"{field}[{i}]"));
            }

            return values;
        }

        private T ParseCode<T>(CodeBook<T> book, string? text, string field)
            where T : struct, Enum
        {
            // Policy files use the codes only, so a label typo cannot slip through.
            var entry = book.Entries.FirstOrDefault(e => e.Code == text);
            if (entry is null)
            {
                Fail(field, $"'{text}' is not a {book.Name} code ({string.Join(", ", book.Codes)})");
            }

            return entry!.Value;
        }

        private DateOnly? OptionalDate(string? text, string field)
        {
            if (text is null)
            {
                return null;
            }

            if (!IsoDate.TryParse(text, out var date))
            {
                Fail(field, $"'{text}' is not a date (yyyy-MM-dd)");
            }

            return date;
        }

        private string Required(string? text, string field) =>
            string.IsNullOrWhiteSpace(text) ? throw Error(field, "is required") : text;

        private PolicyValidationException Error(string field, string problem) => new(file, field, problem);

        private void Fail(string field, string problem) => throw Error(field, problem);
    }

    /// <summary>Removes trailing zeros so 288.0 shows as 288 (amounts are compared and printed as written).</summary>
    internal static decimal Yuan(decimal amount) => amount / 1.0000000000000000000000000000m;
}
