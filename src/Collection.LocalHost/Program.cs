using Collection.LocalHost;

// The development host: `dotnet Collection.LocalHost.dll --script-root <app build output>`.
var web = LocalHostApp.Build(LocalHostOptions.Parse(args));
await web.RunAsync();
