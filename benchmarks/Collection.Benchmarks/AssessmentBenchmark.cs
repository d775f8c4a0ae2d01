using System.Diagnostics;
using System.Globalization;
using Collection.Domain;
using Collection.Domain.Assessments;
using Collection.Domain.Codes;
using Collection.Domain.Policies;
using Collection.Functions.Policies;

namespace Collection.Benchmarks;

/// <summary>
/// Assesses a mixed population (all five policies, every population, subsidised identities, late
/// payers, newborns, university students) on one thread. Baselines in the same run: a dictionary
/// lookup of the policy per person, and parsing each person's resident ID number.
/// Options: <c>--people N</c> (default 1,000,000), <c>--rounds N</c> (default 5; the best round counts).
/// </summary>
public static class AssessmentBenchmark
{
    public static Task RunAsync(string[] args)
    {
        var people = BenchmarkReport.Option(args, "--people", 1_000_000);
        var rounds = BenchmarkReport.Option(args, "--rounds", 5);
        var catalog = PolicyFiles.Load(PolicyFiles.DefaultDirectory);
        var (policies, codes, requests, idNumbers) = MixedPopulation(catalog, people);
        var today = new DateOnly(2022, 10, 1);

        var lookup = catalog.Policies.ToDictionary(p => p.Code, StringComparer.Ordinal);
        var lookupSeconds = Best(rounds, () =>
        {
            var found = 0;
            for (var i = 0; i < codes.Length; i++)
            {
                found += lookup.TryGetValue(codes[i], out _) ? 1 : 0;
            }

            return found;
        }, out _);

        var parseSeconds = Best(rounds, () =>
        {
            var valid = 0;
            for (var i = 0; i < idNumbers.Length; i++)
            {
                valid += ResidentId.TryParse(idNumbers[i], today, out _, out _) ? 1 : 0;
            }

            return valid;
        }, out var parseBytes);

        var eligible = 0;
        var assessSeconds = Best(rounds, () =>
        {
            eligible = 0;
            for (var i = 0; i < requests.Length; i++)
            {
                var assessment = AssessmentEngine.Assess(policies[i], requests[i], today);
                eligible += assessment.Eligible ? 1 : 0;
            }

            return eligible;
        }, out var assessBytes);

        Console.WriteLine($"assessment: {people:N0} people, {rounds} rounds on one thread, best round; {eligible:N0} eligible");
        BenchmarkReport.Line("baseline: policy dictionary lookup", people / lookupSeconds, "lookups/s");
        BenchmarkReport.Line("baseline: resident ID parse", people / parseSeconds, "parses/s");
        BenchmarkReport.Line("resident ID parse allocation", parseBytes / (double)people, "bytes/parse");
        BenchmarkReport.Line("assessments", people / assessSeconds, "assessments/s");
        BenchmarkReport.Line("assessment allocation", assessBytes / (double)people, "bytes/assessment");
        BenchmarkReport.Ratio("assessments/s vs dictionary lookups/s", people / assessSeconds, people / lookupSeconds);
        BenchmarkReport.Ratio("assessments/s vs ID parses/s", people / assessSeconds, people / parseSeconds);
        return Task.CompletedTask;
    }

    private static double Best(int rounds, Func<int> run, out long bytes)
    {
        run(); // warm-up (JIT tiering)
        var best = double.MaxValue;
        bytes = long.MaxValue;
        for (var r = 0; r < rounds; r++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var watch = Stopwatch.StartNew();
            var result = run();
            watch.Stop();
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            GC.KeepAlive(result);
            best = Math.Min(best, watch.Elapsed.TotalSeconds);
            bytes = Math.Min(bytes, allocated);
        }

        return best;
    }

    private static (Policy[] Policies, string[] Codes, AssessmentRequest[] Requests, string[] IdNumbers) MixedPopulation(PolicyCatalog catalog, int count)
    {
        var random = new Random(20220101);
        var all = catalog.Policies.ToArray();
        var identities = Enum.GetValues<SubsidyIdentity>();
        var populations = Enum.GetValues<Population>();
        var policies = new Policy[count];
        var codes = new string[count];
        var requests = new AssessmentRequest[count];
        var idNumbers = new string[count];
        for (var i = 0; i < count; i++)
        {
            var policy = all[random.Next(all.Length)];
            var population = populations[random.Next(populations.Length)];
            var birth = population switch
            {
                Population.Newborn => policy.CoverageStart.AddDays(random.Next(200)),
                Population.Preschool => new DateOnly(2017, 1, 1).AddDays(random.Next(1500)),
                Population.Student => new DateOnly(2004, 1, 1).AddDays(random.Next(4000)),
                Population.UniversityStudent => new DateOnly(1998, 1, 1).AddDays(random.Next(2500)),
                _ => new DateOnly(1930, 1, 1).AddDays(random.Next(30000)),
            };

            // Mostly inside the collection period; some before, some in the late-enrolment months.
            var span = policy.CollectionEnd.DayNumber - policy.CollectionStart.DayNumber;
            var date = policy.CollectionStart.AddDays(random.Next(-20, span + 200));
            if (population == Population.Newborn && date < birth && random.Next(2) == 0)
            {
                date = birth.AddDays(random.Next(120));
            }

            var set = SubsidyIdentitySet.Empty;
            var roll = random.Next(10);
            for (var k = 0; k < (roll < 6 ? 0 : roll < 9 ? 1 : 2); k++)
            {
                set = set.With(identities[random.Next(identities.Length)]);
            }

            var first17 = $"{Areas[random.Next(Areas.Length)]}{birth:yyyyMMdd}{random.Next(1000):D3}".ToString(CultureInfo.InvariantCulture);
            idNumbers[i] = first17 + ResidentId.ComputeCheckCharacter(first17);
            var withId = population != Population.Newborn;
            policies[i] = policy;
            codes[i] = policy.Code;
            requests[i] = new AssessmentRequest
            {
                Id = withId ? ResidentId.Parse(idNumbers[i]) : null,
                BirthDate = withId ? null : birth,
                Population = population,
                Identities = set,
                AllowanceClass = (AllowanceClass)random.Next(6),
                LocalHukou = random.Next(10) != 0,
                ResidencePermit = random.Next(2) == 0,
                InEmployeeInsurance = random.Next(50) == 0,
                Newborn = population == Population.Newborn ? new NewbornFacts(null, random.Next(4) != 0, null) : null,
                MigrantWorkerWithProof = random.Next(20) == 0,
                PaymentMode = (UniversityPaymentMode)random.Next(2),
                Date = date,
            };
        }

        return (policies, codes, requests, idNumbers);
    }

    private static readonly string[] Areas = ["150302", "340405", "150621", "620402", "620422", "340103", "110101", "440305"];
}
