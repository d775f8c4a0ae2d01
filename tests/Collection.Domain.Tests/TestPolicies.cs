using Collection.Domain.Assessments;
using Collection.Domain.Codes;
using Collection.Domain.Policies;

namespace Collection.Domain.Tests;

/// <summary>The shipped policy files (copied beside the tests) and short ways to assess under them.</summary>
internal static class TestPolicies
{
    private static readonly Lazy<PolicyCatalog> Lazy = new(() =>
    {
        var directory = Path.Combine(AppContext.BaseDirectory, "policies");
        return PolicyCatalog.Read(Directory.GetFiles(directory, "*.json").Select(f => (Path.GetFileName(f), File.ReadAllText(f))));
    });

    public static PolicyCatalog Catalog => Lazy.Value;

    public static Policy Get(string code) => Catalog.TryGet(code, out var policy) ? policy : throw new InvalidOperationException(code);

    public static DateOnly D(string text) => DateOnly.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    public static AssessmentRequest Person(string birthDate, string date, Population population = Population.Resident, params SubsidyIdentity[] identities) =>
        new()
        {
            BirthDate = D(birthDate),
            Date = D(date),
            Population = population,
            Identities = SubsidyIdentitySet.Of(identities),
        };

    public static Assessment Assess(string policy, AssessmentRequest request) =>
        AssessmentEngine.Assess(Get(policy), request, request.Date ?? D("2000-01-01"));
}
