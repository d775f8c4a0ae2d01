namespace Collection.Functions.Hosting;

/// <summary>
/// A fact the app adds to <c>GET /api/health</c> beside the storage check (e.g. the business date it runs
/// on), read on every call. Register as a singleton; <paramref name="Name"/> becomes the JSON property.
/// </summary>
public sealed record HealthFact(string Name, Func<IServiceProvider, object?> Value);
