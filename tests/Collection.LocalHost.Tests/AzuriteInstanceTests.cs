using Azure.Storage.Blobs;
using Collection.Testing;

namespace Collection.LocalHost.Tests;

public class AzuriteInstanceTests
{
    [Fact]
    public async Task SharedAzurite_StoresAndReadsBackABlob()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var container = azurite.CreateBlobServiceClient().GetBlobContainerClient(AzuriteInstance.UniqueName("smoke"));
        await container.CreateAsync();

        await container.UploadBlobAsync("hello.txt", BinaryData.FromString("你好"));
        var content = await container.GetBlobClient("hello.txt").DownloadContentAsync();

        Assert.Equal("你好", content.Value.Content.ToString());
    }

    [Fact]
    public async Task DedicatedAzurite_RestartsOnTheSamePorts()
    {
        await using var azurite = await AzuriteInstance.StartAsync();
        var port = azurite.BlobPort;

        await azurite.StopAsync();
        Assert.False(azurite.IsRunning);
        await azurite.RestartAsync();

        Assert.Equal(port, azurite.BlobPort);
        await new BlobServiceClient(azurite.ConnectionString).GetPropertiesAsync();
    }
}
