namespace Collection.Files;

/// <summary>
/// The rows a result document lists: the first <see cref="Listed"/> by line number, kept in line order while
/// any number of rows go by in any order. A result is rewritten every few seconds while a file runs, so it must
/// not grow with the file (issue 22: 1,000,000 rejected rows made a 100 MB status document rewritten again and
/// again); every row is in the CSV beside it.
/// </summary>
public static class FirstLines
{
    /// <summary>Enough to see what is wrong with a file; the sender fixes the rest from the CSV.</summary>
    public const int Listed = 100;

    /// <summary>Adds <paramref name="item"/> to <paramref name="first"/> (in line order) when it is among the first <paramref name="capacity"/>; rows of one line stay in the order added.</summary>
    public static void Add<T>(List<T> first, T item, Func<T, int> lineOf, int capacity = Listed)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(lineOf);
        var line = lineOf(item);
        if (first.Count >= capacity && line >= lineOf(first[^1]))
        {
            return;
        }

        // Rows mostly come in line order: the place is nearly always the end, found in a few steps.
        int low = 0, high = first.Count;
        while (low < high)
        {
            var middle = (low + high) / 2;
            if (lineOf(first[middle]) <= line)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        first.Insert(low, item);
        if (first.Count > capacity)
        {
            first.RemoveAt(first.Count - 1);
        }
    }
}
