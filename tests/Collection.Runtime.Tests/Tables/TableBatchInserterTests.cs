using Azure;
using Azure.Data.Tables;
using Azure.Data.Tables.Sas;
using Collection.Runtime.Tables;
using Collection.Testing;

namespace Collection.Runtime.Tests.Tables;

/// <summary>The direct entity-group transaction writer against a real Azurite, read back through the SDK.</summary>
public sealed class TableBatchInserterTests
{
    private static readonly TableEntityJson<Row> Json = new();

    [Fact]
    public async Task Insert_WritesEveryEntityAsTheSdkReadsItBack()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var (table, inserter) = await NewTableAsync(azurite, azurite.ConnectionString);
        var rows = Enumerable.Range(0, TableBatchInserter.MaxBatch).Select(i => NewRow("p1", i)).ToList();

        Assert.True(inserter.Direct);
        Assert.True(await inserter.TryInsertAllAsync(table.Name, rows, Json, CancellationToken.None));

        var stored = await table.QueryAsync<TableEntity>().ToListAsync();
        Assert.Equal(rows.Count, stored.Count);
        var first = stored.Single(e => e.RowKey == "r000");
        Assert.Equal("张三丰 \"引号\" \\ 换行\n", first.GetString("Name"));
        Assert.Equal("{\"terms\":{\"payable\":\"380.00\"}}", first.GetString("State"));
        Assert.Equal(7, first.GetInt32("Count"));
        Assert.Equal(2.5, first.GetDouble("Ratio"));
        Assert.True(first.GetBoolean("Waived"));
        Assert.False(first.ContainsKey("Phone"));
        Assert.Equal("名字 99", stored.Single(e => e.RowKey == "r099").GetString("Name")[..5]);
    }

    [Fact]
    public async Task Insert_OneRowAlreadyThere_AnswersFalseAndWritesNothing()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var (table, inserter) = await NewTableAsync(azurite, azurite.ConnectionString);
        await table.AddEntityAsync(new TableEntity("p1", "r005") { ["Name"] = "earlier" });
        var rows = Enumerable.Range(0, 10).Select(i => NewRow("p1", i)).ToList();

        Assert.False(await inserter.TryInsertAllAsync(table.Name, rows, Json, CancellationToken.None));

        var stored = await table.QueryAsync<TableEntity>().ToListAsync();
        Assert.Equal("earlier", Assert.Single(stored).GetString("Name"));
    }

    [Fact]
    public async Task Insert_RefusedByTheService_ThrowsWithItsStatus()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var (_, inserter) = await NewTableAsync(azurite, azurite.ConnectionString);

        var missing = await Assert.ThrowsAsync<RequestFailedException>(() =>
            inserter.TryInsertAllAsync(AzuriteInstance.UniqueName("absent"), [NewRow("p1", 1)], Json, CancellationToken.None));

        Assert.Equal(404, missing.Status);
    }

    [Fact]
    public async Task Insert_TwoPartitions_IsRefusedBeforeSending()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var (table, inserter) = await NewTableAsync(azurite, azurite.ConnectionString);

        await Assert.ThrowsAsync<ArgumentException>(() =>
            inserter.TryInsertAllAsync(table.Name, [NewRow("p1", 1), NewRow("p2", 2)], Json, CancellationToken.None));

        Assert.Empty(await table.QueryAsync<TableEntity>().ToListAsync());
    }

    [Fact]
    public async Task Insert_SignedWithAnotherKey_IsRefused()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var wrongKey = azurite.ConnectionString.Replace(AzuriteInstance.AccountKey, Convert.ToBase64String(new byte[64]), StringComparison.Ordinal);
        var (table, inserter) = await NewTableAsync(azurite, wrongKey);

        var refused = await Assert.ThrowsAsync<RequestFailedException>(() =>
            inserter.TryInsertAllAsync(table.Name, [NewRow("p1", 1)], Json, CancellationToken.None));

        Assert.Equal(403, refused.Status);
    }

    [Fact]
    public async Task ConnectionWithoutAccountKey_GoesThroughTheSdkTransaction()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var service = azurite.CreateTableServiceClient();
        var sas = service.GenerateSasUri(TableAccountSasPermissions.All, TableAccountSasResourceTypes.All, DateTimeOffset.UtcNow.AddHours(1));
        var connection = $"TableEndpoint={service.Uri};SharedAccessSignature={sas.Query.TrimStart('?')}";
        var (table, inserter) = await NewTableAsync(azurite, connection);

        Assert.False(inserter.Direct);
        Assert.True(await inserter.TryInsertAllAsync(table.Name, [NewRow("p1", 1), NewRow("p1", 2)], Json, CancellationToken.None));
        Assert.False(await inserter.TryInsertAllAsync(table.Name, [NewRow("p1", 3), NewRow("p1", 2)], Json, CancellationToken.None));
        Assert.Equal(2, (await table.QueryAsync<TableEntity>().ToListAsync()).Count);
    }

    [Fact]
    public async Task Insert_BatchSizeOutsideOneToHundred_IsRefusedBeforeSending()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var (table, inserter) = await NewTableAsync(azurite, azurite.ConnectionString);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => inserter.TryInsertAllAsync(table.Name, Array.Empty<Row>(), Json, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            inserter.TryInsertAllAsync(table.Name, [.. Enumerable.Range(0, 101).Select(i => NewRow("p1", i))], Json, CancellationToken.None));
    }

    [Fact]
    public void EntityJson_RefusesPropertiesThatWouldNeedATypeAnnotation()
    {
        var error = Assert.Throws<NotSupportedException>(() => new TableEntityJson<Dated>());

        Assert.Contains("Dated.On", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("UseDevelopmentStorage=true", "devstoreaccount1")]
    [InlineData("DefaultEndpointsProtocol=https;AccountName=bureau;AccountKey=a2V5;EndpointSuffix=core.windows.net", "bureau")]
    [InlineData("TableEndpoint=https://bureau.table.core.windows.net;SharedAccessSignature=sv=2019-02-02&sig=x", null)]
    [InlineData("AccountName=bureau", null)]
    public void AccountKey_ComesFromTheConnectionString(string connection, string? account)
    {
        Assert.Equal(account, TableBatchInserter.AccountKey(connection)?.Name);
    }

    private static async Task<(TableClient Table, TableBatchInserter Inserter)> NewTableAsync(AzuriteInstance azurite, string connection)
    {
        var table = azurite.CreateTableServiceClient().GetTableClient(AzuriteInstance.UniqueName("batch"));
        await table.CreateIfNotExistsAsync();
        return (table, new TableBatchInserter(new TableServiceClient(connection), connection, new TableClientOptions()));
    }

    private static Row NewRow(string partition, int index) => new()
    {
        PartitionKey = partition,
        RowKey = $"r{index:D3}",
        Name = index == 0 ? "张三丰 \"引号\" \\ 换行\n" : $"名字 {index}",
        State = "{\"terms\":{\"payable\":\"380.00\"}}",
        Count = 7,
        Ratio = 2.5,
        Waived = true,
    };

    private sealed class Row : ITableEntity
    {
        public string PartitionKey { get; set; } = "";

        public string RowKey { get; set; } = "";

        public DateTimeOffset? Timestamp { get; set; }

        public ETag ETag { get; set; }

        public string? Name { get; set; }

        public string? Phone { get; set; }

        public string State { get; set; } = "";

        public int Count { get; set; }

        public double Ratio { get; set; }

        public bool Waived { get; set; }
    }

    private sealed class Dated : ITableEntity
    {
        public string PartitionKey { get; set; } = "";

        public string RowKey { get; set; } = "";

        public DateTimeOffset? Timestamp { get; set; }

        public ETag ETag { get; set; }

        public DateTimeOffset On { get; set; }
    }
}
