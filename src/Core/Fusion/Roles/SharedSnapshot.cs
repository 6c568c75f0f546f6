using System.Buffers;
using BitFusion.Core.Bits;

namespace BitFusion.Core.Fusion.Roles;

/// <summary>
/// A copy of a list kept for whole-list reads that must wait before they are answered. Reads that arrive while
/// the list is unchanged share one copy instead of taking one each, so many pipelined ReadAlls cost one list, not
/// one per read. Reference counted; the words go back to the pool with the last reader. Not thread-safe: the
/// owner's lock guards it, as it guards the list.
/// </summary>
internal sealed class SharedSnapshot
{
    private readonly ulong[] _words;
    private int _readers = 1;

    private SharedSnapshot(ReadOnlySpan<ulong> words, long length, long version)
    {
        _words = ArrayPool<ulong>.Shared.Rent(Math.Max(1, words.Length));
        words.CopyTo(_words);
        Length = length;
        Version = version;
    }

    public long Length { get; }

    /// <summary>What the list's owner counts changes by (a primary: its seq); equal versions mean equal lists.</summary>
    public long Version { get; }

    public ReadOnlySpan<ulong> Words => _words.AsSpan(0, Delta.WordsFor(Length));

    /// <summary>A reader's share of <paramref name="last"/> if it still holds <paramref name="version"/>, else a fresh copy that becomes the last.</summary>
    public static SharedSnapshot Share(ref SharedSnapshot? last, long version, ReadOnlySpan<ulong> words, long length)
    {
        if (last is { _readers: > 0 } current && current.Version == version)
        {
            current._readers++;
            return current;
        }
        last = new SharedSnapshot(words, length, version);
        return last;
    }

    public void Release()
    {
        if (--_readers == 0) ArrayPool<ulong>.Shared.Return(_words);
    }
}
