using Collection.LocalHost;

// The development host: `dotnet Collection.LocalHost.dll --script-root <app build output> [--settings FILE] [--port N]`.
WebApplication web;
try
{
    web = LocalHostApp.Build(LocalHostOptions.Parse(args));
}
catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
{
    // A wrong folder or setting is the user's to fix: say what, not where in the host it was found.
    await Console.Error.WriteLineAsync(e.Message);
    return 2;
}

await web.RunAsync();
return 0;
