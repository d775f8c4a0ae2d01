using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.Unicode;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;

namespace Collection.Functions.Hosting;

/// <summary>
/// Inserts up to 100 entities of one partition as one entity-group transaction (the Table service's
/// <c>$batch</c>), written straight to bytes. Why not <see cref="TableClient.SubmitTransactionAsync"/>: it
/// builds a full HTTP message per action and serializes each sub-request's header twice through a 4 KB
/// StringBuilder, about 35 KB of garbage per entity; for a 100,000-row roster that is 3.5 GB, and the GC
/// was a third of the host's CPU. Same REST call, sent through an Azure.Core pipeline (retries, request ids,
/// logging) and signed with the account key (SharedKeyLite). Without an account key in the connection
/// string (a SAS, say) it falls back to the SDK's transaction.
/// Entity properties must be strings, booleans, 32-bit integers or doubles: those need no OData type
/// annotation, so what is stored reads back the same through the SDK.
/// </summary>
public sealed class TableBatchInserter
{
    /// <summary>The Table service's limit of operations in one entity-group transaction.</summary>
    public const int MaxBatch = 100;

    private const string ServiceVersion = "2019-02-02";
    private const string DevelopmentAccount = "devstoreaccount1";
    private const string DevelopmentKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private static readonly byte[] Crlf = "\r\n"u8.ToArray();
    private static readonly byte[] StatusLine = "HTTP/1.1 "u8.ToArray();
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.Create(UnicodeRanges.All), SkipValidation = true };

    private readonly TableServiceClient _service;
    private readonly string _serviceUrl;
    private readonly HttpPipeline? _pipeline;
    private readonly string? _accountName;
    private readonly byte[]? _accountKey;

    public TableBatchInserter(TableServiceClient service, string? connectionString, TableClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(options);
        _service = service;
        _serviceUrl = service.Uri.AbsoluteUri.TrimEnd('/');
        if (connectionString is not null && AccountKey(connectionString) is { } key)
        {
            (_accountName, _accountKey) = key;
            _pipeline = HttpPipelineBuilder.Build(options, [], [new SharedKeyLitePolicy(this)], new ResponseClassifier());
        }
    }

    /// <summary>Whether batches go out through this class's own writer (false: through the SDK's transaction).</summary>
    public bool Direct => _pipeline is not null;

    /// <summary>
    /// Inserts all <paramref name="entities"/> (one partition, at most <see cref="MaxBatch"/>) in one transaction.
    /// False when one of them already exists (nothing is written); any other failure throws <see cref="RequestFailedException"/>.
    /// </summary>
    public async Task<bool> TryInsertAllAsync<T>(string table, IReadOnlyList<T> entities, TableEntityJson<T> json, CancellationToken cancellationToken)
        where T : class, ITableEntity
    {
        ArgumentNullException.ThrowIfNull(entities);
        ArgumentNullException.ThrowIfNull(json);
        ArgumentOutOfRangeException.ThrowIfZero(entities.Count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(entities.Count, MaxBatch);
        if (entities.Any(e => !string.Equals(e.PartitionKey, entities[0].PartitionKey, StringComparison.Ordinal)))
        {
            // The service refuses this; Azurite does not, so say it here for both.
            throw new ArgumentException("An entity-group transaction holds entities of one partition only.", nameof(entities));
        }
        if (_pipeline is null)
        {
            return await TryInsertThroughSdkAsync(table, entities, cancellationToken).ConfigureAwait(false);
        }

        var batch = "batch_" + Guid.NewGuid().ToString("N");
        var changeset = "changeset_" + Guid.NewGuid().ToString("N");
        var body = new ArrayBufferWriter<byte>(entities.Count * 2048);
        Ascii(body, $"--{batch}\r\nContent-Type: multipart/mixed; boundary={changeset}\r\n\r\n");
        var part = Encoding.ASCII.GetBytes(
            $"--{changeset}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n" +
            $"POST {_serviceUrl}/{table} HTTP/1.1\r\nAccept: application/json;odata=minimalmetadata\r\n" +
            "Content-Type: application/json\r\nPrefer: return-no-content\r\nDataServiceVersion: 3.0\r\n\r\n");
        using (var writer = new Utf8JsonWriter(body, WriterOptions))
        {
            foreach (var entity in entities)
            {
                body.Write(part);
                writer.Reset(body);
                JsonSerializer.Serialize(writer, entity, json.TypeInfo);
                body.Write(Crlf);
            }
        }

        Ascii(body, $"--{changeset}--\r\n--{batch}--\r\n");

        using var message = _pipeline.CreateMessage();
        var request = message.Request;
        request.Method = RequestMethod.Post;
        request.Uri.Reset(new Uri(_serviceUrl + "/$batch"));
        request.Headers.Add("x-ms-version", ServiceVersion);
        request.Headers.Add("DataServiceVersion", "3.0");
        request.Headers.Add("MaxDataServiceVersion", "3.0;NetFx");
        request.Headers.Add("Accept", "application/json");
        request.Headers.Add("Content-Type", $"multipart/mixed; boundary={batch}");
        request.Content = RequestContent.Create(body.WrittenMemory);
        await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        var response = message.Response;
        if (response.Status != 202)
        {
            throw new RequestFailedException(response);
        }

        return Outcome(response.Content.ToMemory().Span, entities.Count, response);
    }

    /// <summary>Every sub-response 2xx: true. The one failed action (the service answers only that one): false for "already exists", else throws.</summary>
    private static bool Outcome(ReadOnlySpan<byte> content, int expected, Response response)
    {
        var succeeded = 0;
        for (var at = content.IndexOf(StatusLine); at >= 0; at = Next(content, at))
        {
            var status = int.Parse(content.Slice(at + StatusLine.Length, 3), CultureInfo.InvariantCulture);
            if (status is >= 200 and < 300)
            {
                succeeded++;
                continue;
            }

            var (code, text) = Error(content[(at + StatusLine.Length)..]);
            if (status == 409 && code == "EntityAlreadyExists")
            {
                return false;
            }

            throw new RequestFailedException(status, $"Entity-group transaction failed: {status} {code} {text}", code, null);
        }

        return succeeded == expected
            ? true
            : throw new RequestFailedException(response.Status, $"Entity-group transaction answered {succeeded} of {expected} operations.", null, null);
    }

    private static int Next(ReadOnlySpan<byte> content, int at)
    {
        var next = content[(at + 1)..].IndexOf(StatusLine);
        return next < 0 ? -1 : at + 1 + next;
    }

    /// <summary>The OData error of a failed sub-response: its JSON body follows the first blank line.</summary>
    private static (string? Code, string? Message) Error(ReadOnlySpan<byte> subResponse)
    {
        var start = subResponse.IndexOf("\r\n\r\n"u8);
        var json = start < 0 ? [] : subResponse[(start + 4)..];
        var end = json.LastIndexOf((byte)'}');
        if (end < 0)
        {
            return (null, null);
        }

        try
        {
            var reader = new Utf8JsonReader(json[..(end + 1)]);
            using var document = JsonDocument.ParseValue(ref reader);
            var error = document.RootElement.TryGetProperty("odata.error", out var odata) ? odata : document.RootElement;
            var code = error.TryGetProperty("code", out var c) ? c.GetString() : null;
            var text = error.TryGetProperty("message", out var m) ? (m.ValueKind == JsonValueKind.Object && m.TryGetProperty("value", out var v) ? v.GetString() : m.ToString()) : null;
            return (code, text);
        }
        catch (JsonException)
        {
            return (null, Encoding.UTF8.GetString(json));
        }
    }

    private async Task<bool> TryInsertThroughSdkAsync<T>(string table, IReadOnlyList<T> entities, CancellationToken cancellationToken)
        where T : class, ITableEntity
    {
        try
        {
            await _service.GetTableClient(table).SubmitTransactionAsync(entities.Select(e => new TableTransactionAction(TableTransactionActionType.Add, e)), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TableTransactionFailedException e) when (e.Status == 409 && e.ErrorCode == "EntityAlreadyExists")
        {
            return false;
        }
    }

    private static void Ascii(ArrayBufferWriter<byte> body, string text)
    {
        var span = body.GetSpan(text.Length);
        body.Advance(Encoding.ASCII.GetBytes(text, span));
    }

    /// <summary>Account name and key from a storage connection string; null when it carries no key.</summary>
    internal static (string Name, byte[] Key)? AccountKey(string connectionString)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                settings[pair[..equals].Trim()] = pair[(equals + 1)..].Trim();
            }
        }

        if (settings.TryGetValue("UseDevelopmentStorage", out var development) && bool.TryParse(development, out var isDevelopment) && isDevelopment)
        {
            return (DevelopmentAccount, Convert.FromBase64String(DevelopmentKey));
        }

        return settings.TryGetValue("AccountName", out var name) && settings.TryGetValue("AccountKey", out var key) && name.Length > 0 && key.Length > 0
            ? (name, Convert.FromBase64String(key))
            : null;
    }

    /// <summary>SharedKeyLite for the Table service: HMAC-SHA256 of the date and the canonicalized resource, signed on every try.</summary>
    private sealed class SharedKeyLitePolicy(TableBatchInserter owner) : HttpPipelineSynchronousPolicy
    {
        public override void OnSendingRequest(HttpMessage message)
        {
            // The signing time is the real clock's, never a business date: the service refuses a request 15 minutes off.
            var date = TimeProvider.System.GetUtcNow().ToString("R", CultureInfo.InvariantCulture);
            message.Request.Headers.SetValue("x-ms-date", date);
            var resource = "/" + owner._accountName + message.Request.Uri.ToUri().AbsolutePath;
            var signature = Convert.ToBase64String(HMACSHA256.HashData(owner._accountKey!, Encoding.UTF8.GetBytes(date + "\n" + resource)));
            message.Request.Headers.SetValue("Authorization", $"SharedKeyLite {owner._accountName}:{signature}");
        }
    }
}

/// <summary>
/// How an entity type is written into a batch: its public properties, nulls left out, without the
/// service-kept <c>Timestamp</c> and <c>ETag</c>. Built once per type; refuses property types that would
/// need an OData type annotation (a date or a 64-bit number would come back as a string).
/// </summary>
public sealed class TableEntityJson<T>
    where T : class, ITableEntity
{
    private static readonly HashSet<Type> Plain = [typeof(string), typeof(bool), typeof(int), typeof(double), typeof(bool?), typeof(int?), typeof(double?)];

    public TableEntityJson()
    {
        var resolver = new DefaultJsonTypeInfoResolver();
        resolver.Modifiers.Add(info =>
        {
            if (info.Type != typeof(T))
            {
                return;
            }

            foreach (var property in info.Properties.Where(p => p.Name is nameof(ITableEntity.Timestamp) or nameof(ITableEntity.ETag)).ToList())
            {
                info.Properties.Remove(property);
            }

            if (info.Properties.FirstOrDefault(p => !Plain.Contains(p.PropertyType)) is { } unsupported)
            {
                throw new NotSupportedException($"{typeof(T).Name}.{unsupported.Name} is {unsupported.PropertyType.Name}: batch inserts write strings, booleans, Int32 and Double only.");
            }
        });
        TypeInfo = (JsonTypeInfo<T>)new JsonSerializerOptions
        {
            TypeInfoResolver = resolver,
            DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        }.GetTypeInfo(typeof(T));
    }

    internal JsonTypeInfo<T> TypeInfo { get; }
}
