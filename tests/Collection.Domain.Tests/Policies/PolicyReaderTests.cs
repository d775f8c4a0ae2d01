using System.Text.Json.Nodes;
using Collection.Domain.Assessments;
using Collection.Domain.Codes;
using Collection.Domain.Policies;
using static Collection.Domain.Tests.TestPolicies;

namespace Collection.Domain.Tests.Policies;

public class PolicyReaderTests
{
    // A sixth jurisdiction with the same kinds of rules: a file and its tests, no engine change.
    private const string SixthPolicy = """
        {
          "$comment": "A made-up county: flat rate, a birth-date rate, a ratio and an amount subsidy, late enrolment with two months' wait.",
          "code": "sample-2024",
          "name": "示例县 2024 年度",
          "region": "130102",
          "collection": { "start": "2023-09-01", "end": "2023-12-31" },
          "coverage": { "start": "2024-01-01", "end": "2024-12-31" },
          "rates": [
            { "populations": ["resident"], "bornBefore": "1964-01-01", "amount": 300 },
            { "populations": ["resident", "preschool", "student", "university-student", "newborn"], "amount": 380 }
          ],
          "eligibility": { "nonLocalNeedsResidencePermit": true, "nonLocalExemptPopulations": ["student"] },
          "subsidies": [
            { "identities": ["orphan"], "mode": "waived" },
            { "identities": ["minimum-living-allowance"], "mode": "deducted", "ratio": 0.75 },
            { "identities": ["ethnic-minority"], "mode": "rebate", "amount": 100, "requiresLocalHukou": true }
          ],
          "subsidyCombination": "highest-single",
          "lateEnrolment": [ { "coverageFrom": "day-after-payment", "waitingMonths": 2 } ],
          "newborns": [ { "requiresParentInsured": true, "registeredWithinMonthsOfBirth": 1, "free": true, "coverageFrom": "birth" } ],
          "refunds": { "reasons": ["deceased"] }
        }
        """;

    [Fact]
    public void ShippedPolicies_AllLoad()
    {
        Assert.Equal(["bagongshan-2022", "baiyin-2023", "dalate-2022", "luyang-2023", "wuhai-2022"], Catalog.Policies.Select(p => p.Code));
        Assert.All(Catalog.Policies, p => Assert.Equal(5, p.RefundReminderDays));
    }

    [Fact]
    public void Bagongshan_HasSevenRefundReasonsAndFourChannels()
    {
        var policy = Get("bagongshan-2022");
        Assert.Equal(7, policy.RefundReasons.Count);
        Assert.Equal(4, policy.RefundChannels.Count);
        Assert.Equal(4, policy.RefundReasonsBeforeCollectionEnd.Count);
        Assert.Equal(70000, policy.Document.Targets!.Total);
    }

    [Fact]
    public void Wuhai_HasTheRepaymentDeadline() =>
        Assert.Equal(D("2022-04-30"), Get("wuhai-2022").RepaymentDeadline);

    [Fact]
    public void Baiyin_FiscalTiersEachTotal610()
    {
        var fiscal = Get("baiyin-2023").Document.FiscalSubsidy!;
        Assert.Equal(3, fiscal.Tiers!.Count);
        Assert.All(fiscal.Tiers, t => Assert.Equal(610m, t.Central + t.Provincial + t.City + t.County));
        Assert.Equal(["620422", "620421"], fiscal.Tiers[0].Counties!.Select(c => c.Code!));
    }

    [Fact]
    public void SixthJurisdiction_IsAFileAndItsTests()
    {
        var policy = PolicyReader.Read(SixthPolicy, "sample-2024.json");
        AssessmentRequest Person(string birth, string date, params SubsidyIdentity[] ids) =>
            new() { BirthDate = D(birth), Date = D(date), Identities = SubsidyIdentitySet.Of(ids) };

        Assert.Equal(300, AssessmentEngine.Assess(policy, Person("1960-01-01", "2023-10-01"), default).Payable);
        Assert.Equal(380, AssessmentEngine.Assess(policy, Person("1990-01-01", "2023-10-01"), default).Payable);
        Assert.Equal(95, AssessmentEngine.Assess(policy, Person("1990-01-01", "2023-10-01", SubsidyIdentity.MinimumLivingAllowance), default).Payable);
        var late = AssessmentEngine.Assess(policy, Person("1990-01-01", "2024-03-15"), default);
        Assert.Equal(D("2024-05-16"), late.CoverageStart);
        var newborn = AssessmentEngine.Assess(policy, Person("2024-06-01", "2024-06-20") with { Population = Population.Newborn, Newborn = new NewbornFacts(null, true, null) }, default);
        Assert.Equal((0m, D("2024-06-01")), (newborn.Payable, newborn.CoverageStart!.Value));
    }

    public static TheoryData<string, string, string> BadFiles => new()
    {
        { "code", "\"wuhai\"", "code" },
        { "collection.start", "\"2021-13-01\"", "collection.start" },
        { "rates[0].amount", "-1", "rates[0].amount" },
        { "rates[0].populations[0]", "\"adult\"", "rates[0].populations[0]" },
        { "subsidies[0].identities[0]", "\"poor\"", "subsidies[0].identities[0]" },
        { "subsidies[1].mode", "\"refund\"", "subsidies[1].mode" },
        { "subsidies[1].ratio", "1.5", "subsidies[1].ratio" },
        { "lateEnrolment[0].coverageFrom", "\"tomorrow\"", "lateEnrolment[0].coverageFrom" },
        { "lateEnrolment[0].until", "\"2023-11-30\"", "lateEnrolment[0].until" },
        { "newborns[0].coverageFrom", "\"never\"", "newborns[0].coverageFrom" },
        { "refunds.reasons[0]", "\"bored\"", "refunds.reasons[0]" },
        { "refunds.reminderDays", "0", "refunds.reminderDays" },
        { "subsidyCombination", "\"sum\"", "subsidyCombination" },
        { "region", "\"13010\"", "region" },
        { "plausibleAges", """[{"populations":["student"],"min":30,"max":5}]""", "plausibleAges[0].max" },
        { "plausibleAges", """[{"populations":["pupil"],"min":5,"max":30}]""", "plausibleAges[0].populations[0]" },
        { "plausibleAges", """[{"populations":["student"],"min":5,"max":30},{"populations":["student"],"min":6,"max":20}]""", "plausibleAges[1].populations[0]" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void BadField_NamesFileAndField(string path, string value, string expectedField)
    {
        var json = Replace(SixthPolicy, path, value);

        var e = Assert.Throws<PolicyValidationException>(() => PolicyReader.Read(json, "sample-2024.json"));

        Assert.Equal("sample-2024.json", e.File);
        Assert.Equal(expectedField, e.Field);
        Assert.Contains("sample-2024.json", e.Message, StringComparison.Ordinal);
        Assert.Contains(expectedField, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownProperty_IsRejectedWithItsPath()
    {
        var json = SixthPolicy.Replace("\"waitingMonths\": 2", "\"waitingMonth\": 2", StringComparison.Ordinal);

        var e = Assert.Throws<PolicyValidationException>(() => PolicyReader.Read(json, "sample-2024.json"));

        Assert.Contains("waitingMonth", e.Message, StringComparison.Ordinal);
        Assert.StartsWith("lateEnrolment[0]", e.Field, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingRate_ForAPopulation_IsRejected()
    {
        var json = SixthPolicy.Replace("[\"resident\", \"preschool\", \"student\", \"university-student\", \"newborn\"]", "[\"resident\", \"student\"]", StringComparison.Ordinal);
        var e = Assert.Throws<PolicyValidationException>(() => PolicyReader.Read(json, "x.json"));
        Assert.Equal("rates", e.Field);
        Assert.Contains("preschool", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void BrokenJson_NamesTheFile()
    {
        var e = Assert.Throws<PolicyValidationException>(() => PolicyReader.Read("{ \"code\": ", "broken.json"));
        Assert.Equal("broken.json", e.File);
    }

    [Fact]
    public void FiscalTierNotAddingUp_IsRejected()
    {
        var node = JsonNode.Parse(SixthPolicy)!;
        node["fiscalSubsidy"] = JsonNode.Parse("""{ "totalPerPerson": 610, "tiers": [ { "tier": 1, "counties": [ { "code": "130102" } ], "central": 488, "provincial": 100, "city": 0, "county": 11.2 } ] }""");

        var e = Assert.Throws<PolicyValidationException>(() => PolicyReader.Read(node.ToJsonString(), "x.json"));
        Assert.Equal("fiscalSubsidy.tiers[0]", e.Field);
    }

    [Fact]
    public void TargetsNotAddingUp_AreRejected()
    {
        var node = JsonNode.Parse(SixthPolicy)!;
        node["targets"] = JsonNode.Parse("""{ "units": [ { "name": "甲镇", "people": 10 }, { "name": "乙镇", "people": 20 } ], "total": 31 }""");

        var e = Assert.Throws<PolicyValidationException>(() => PolicyReader.Read(node.ToJsonString(), "x.json"));
        Assert.Equal("targets.total", e.Field);
    }

    [Fact]
    public void Catalog_FileNamedUnlikeItsCode_IsRejected()
    {
        var e = Assert.Throws<PolicyValidationException>(() => PolicyCatalog.Read([("other.json", SixthPolicy)]));
        Assert.Equal("other.json", e.File);
        Assert.Equal("code", e.Field);
    }

    [Fact]
    public void Catalog_TryGet_IgnoresCase()
    {
        Assert.True(Catalog.TryGet("WUHAI-2022", out var policy));
        Assert.Equal("wuhai-2022", policy.Code);
        Assert.False(Catalog.TryGet("nowhere-2022", out _));
    }

    private static string Replace(string json, string path, string value)
    {
        var root = JsonNode.Parse(json)!;
        JsonNode parent = root;
        var parts = path.Split('.');
        for (var i = 0; i < parts.Length; i++)
        {
            var (name, index) = Split(parts[i]);
            var last = i == parts.Length - 1;
            if (index is null)
            {
                if (last)
                {
                    parent[name] = JsonNode.Parse(value);
                }
                else
                {
                    parent = parent[name] ??= new JsonObject();
                }
            }
            else if (last)
            {
                parent[name]![index.Value] = JsonNode.Parse(value);
            }
            else
            {
                parent = parent[name]![index.Value]!;
            }
        }

        return root.ToJsonString();

        static (string Name, int? Index) Split(string part)
        {
            var bracket = part.IndexOf('[', StringComparison.Ordinal);
            return bracket < 0 ? (part, null) : (part[..bracket], int.Parse(part[(bracket + 1)..^1], System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
