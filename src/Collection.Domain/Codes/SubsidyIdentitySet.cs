namespace Collection.Domain.Codes;

/// <summary>The subsidised identities a person holds, as a bit set: no allocation, cheap to test.</summary>
public readonly record struct SubsidyIdentitySet(uint Bits)
{
    public static SubsidyIdentitySet Empty => default;

    public bool IsEmpty => Bits == 0;

    public int Count => System.Numerics.BitOperations.PopCount(Bits);

    public bool Contains(SubsidyIdentity identity) => (Bits & Bit(identity)) != 0;

    public SubsidyIdentitySet With(SubsidyIdentity identity) => new(Bits | Bit(identity));

    public static SubsidyIdentitySet Of(params SubsidyIdentity[] identities)
    {
        ArgumentNullException.ThrowIfNull(identities);
        var set = Empty;
        foreach (var identity in identities)
        {
            set = set.With(identity);
        }

        return set;
    }

    public IEnumerable<SubsidyIdentity> Identities()
    {
        foreach (var identity in Enum.GetValues<SubsidyIdentity>())
        {
            if (Contains(identity))
            {
                yield return identity;
            }
        }
    }

    public override string ToString() => string.Join(",", Identities().Select(Glossary.SubsidyIdentities.Code));

    private static uint Bit(SubsidyIdentity identity) => 1u << (int)identity;
}
