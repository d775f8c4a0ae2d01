using Collection.Functions;
using Collection.Functions.Rosters;

// dotnet run --project src/Collection.RosterCheck -- FILE --policy CODE [--kind school|university] [--date yyyy-MM-dd]
return await RosterCheckCommand.RunAsync(["roster", "check", .. args], Console.Out, Console.Error, ChinaClock.ForConsole(TimeProvider.System));
