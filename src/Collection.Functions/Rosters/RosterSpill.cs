namespace Collection.Functions.Rosters;

/// <summary>
/// The rows of one roster run set aside on local disk, grouped by ledger batch key, while the file is read:
/// the ledger is then written group by group in key order instead of in the file's order. Azurite's tables
/// (sorted index arrays) shift every row of a later partition for each row inserted before them: measured,
/// file order cost Azurite about a third more work per row than key order.
/// The rejected rows go to disk too, in whatever order they are found, and come back in line order for the
/// <c>.rejected.csv</c> (issue 22: held in memory, a million of them took gigabytes).
/// Memory stays bounded whatever the file's size: a small write buffer per key, one group read back at a time,
/// 16 bytes per rejected row for their order.
/// The files are deleted when the run ends; a directory left by a killed host is removed by a later run.
/// </summary>
public sealed class RosterSpill : IDisposable
{
    private const int BufferSize = 16 * 1024;
    private static readonly TimeSpan StaleAfter = TimeSpan.FromDays(1);

    private readonly Dictionary<string, Group> _groups = new(StringComparer.Ordinal);
    private readonly List<(int Line, long At)> _rejectedOrder = [];
    private FileStream? _rejected;
    private BinaryWriter? _rejectedWriter;
    private bool _disposed;
    private bool _reading;

    public RosterSpill(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        RemoveStale(time.GetUtcNow());
        Location = Directory.CreateDirectory(Path.Combine(Root, Guid.NewGuid().ToString("N"))).FullName;
    }

    /// <summary>Where every run's spill directory lives.</summary>
    public static string Root => Path.Combine(Path.GetTempPath(), "collection-roster-spill");

    /// <summary>This run's directory (one file per key).</summary>
    public string Location { get; }

    /// <summary>Rows set aside so far.</summary>
    public int Count { get; private set; }

    /// <summary>The keys rows were set aside under, in ordinal order (the order a table sorts partition keys).</summary>
    public IReadOnlyList<string> Keys => [.. _groups.Keys.Order(StringComparer.Ordinal)];

    public void Add(string key, int lineNumber, IReadOnlyList<string> cells)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(cells);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_reading)
        {
            throw new InvalidOperationException("Rows are being read back: no more may be added.");
        }

        if (!_groups.TryGetValue(key, out var group))
        {
            group = _groups[key] = new Group(Path.Combine(Location, _groups.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        var writer = group.Writer;
        writer.Write(lineNumber);
        writer.Write(cells.Count);
        foreach (var cell in cells)
        {
            writer.Write(cell);
        }

        Count++;
    }

    /// <summary>Rejected rows set aside so far.</summary>
    public int RejectedCount => _rejectedOrder.Count;

    /// <summary>Sets a rejected row aside, in any order, also while rows are read back.</summary>
    public void AddRejected(int lineNumber, IReadOnlyList<string> cells, string code, string message)
    {
        ArgumentNullException.ThrowIfNull(cells);
        ArgumentNullException.ThrowIfNull(code);
        ArgumentNullException.ThrowIfNull(message);
        ObjectDisposedException.ThrowIf(_disposed, this);
        _rejected ??= new FileStream(Path.Combine(Location, "rejected"), FileMode.CreateNew, FileAccess.Write, FileShare.Read, BufferSize);
        _rejectedWriter ??= new BinaryWriter(_rejected, System.Text.Encoding.UTF8, leaveOpen: true);
        _rejectedOrder.Add((lineNumber, _rejected.Position));
        _rejectedWriter.Write(code);
        _rejectedWriter.Write(message);
        _rejectedWriter.Write(cells.Count);
        foreach (var cell in cells)
        {
            _rejectedWriter.Write(cell);
        }
    }

    /// <summary>The rejected rows in line order (rows of one line in the order added), read from disk one at a time.</summary>
    public IEnumerable<(int LineNumber, string[] Cells, string Code, string Message)> ReadRejected()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_rejected is null)
        {
            yield break;
        }

        _rejectedWriter!.Flush();
        var order = _rejectedOrder.ToArray();
        Array.Sort(order);
        using var file = new FileStream(_rejected.Name, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, BufferSize);
        using var reader = new BinaryReader(file, System.Text.Encoding.UTF8);
        foreach (var (line, at) in order)
        {
            file.Position = at;
            var code = reader.ReadString();
            var message = reader.ReadString();
            var cells = new string[reader.ReadInt32()];
            for (var i = 0; i < cells.Length; i++)
            {
                cells[i] = reader.ReadString();
            }

            yield return (line, cells, code, message);
        }
    }

    /// <summary>The rows of <paramref name="key"/> in the order they were added. No more rows may be added once reading starts.</summary>
    public IEnumerable<(int LineNumber, string[] Cells)> Read(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        ObjectDisposedException.ThrowIf(_disposed, this);
        _reading = true;
        return _groups.TryGetValue(key, out var group) ? group.Read() : [];
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var group in _groups.Values)
        {
            group.Dispose();
        }

        _rejectedWriter?.Dispose();
        _rejected?.Dispose();

        try
        {
            Directory.Delete(Location, recursive: true);
        }
        catch (IOException)
        {
            // Left for RemoveStale of a later run.
        }
    }

    private static void RemoveStale(DateTimeOffset now)
    {
        if (!Directory.Exists(Root))
        {
            return;
        }

        foreach (var directory in new DirectoryInfo(Root).EnumerateDirectories())
        {
            try
            {
                if (now - directory.LastWriteTimeUtc > StaleAfter)
                {
                    directory.Delete(recursive: true);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another run's, or in use: not ours to insist on.
            }
        }
    }

    /// <summary>One key's rows: written through one stream, read back through streams of their own (reads may overlap).</summary>
    private sealed class Group : IDisposable
    {
        private readonly string _path;
        private readonly FileStream _stream;

        public Group(string path)
        {
            _path = path;
            _stream = new FileStream(_path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, BufferSize);
            Writer = new BinaryWriter(_stream, System.Text.Encoding.UTF8, leaveOpen: true);
        }

        public BinaryWriter Writer { get; }

        public IEnumerable<(int LineNumber, string[] Cells)> Read()
        {
            Writer.Flush();
            using var file = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, BufferSize);
            using var reader = new BinaryReader(file, System.Text.Encoding.UTF8);
            var end = file.Length;
            while (file.Position < end)
            {
                var line = reader.ReadInt32();
                var cells = new string[reader.ReadInt32()];
                for (var i = 0; i < cells.Length; i++)
                {
                    cells[i] = reader.ReadString();
                }

                yield return (line, cells);
            }
        }

        public void Dispose()
        {
            Writer.Dispose();
            _stream.Dispose();
        }
    }
}
