using BitFusion.Core.Bits;

namespace BitFusion.Core.Fusion.Roles;

/// <summary>
/// A copy of a list kept for whole-list reads that must wait before they are answered. Reads that arrive while
/// the list is unchanged share one copy instead of taking one each, so many pipelined ReadAlls cost one list, not
/// one per read. Reference counted; the words go back to <see cref="WordBuffers"/> with the last reader. Shared under the
/// owner's lock; a reader's share may be released from any thread (a stream that sent the words).
/// </summary>
internal sealed class SharedSnapshot
{
    private readonly ulong[] _words;
    private int _readers = 1;

    private SharedSnapshot(ReadOnlySpan<ulong> words, long length, long version)
    {
        _words = WordBuffers.Rent(words.Length);
        words.CopyTo(_words);
        Length = length;
        Version = version;
    }

    public long Length { get; }

    /// <summary>What the list's owner counts changes by (a primary: its seq); equal versions mean equal lists.</summary>
    public long Version { get; }

    public ReadOnlySpan<ulong> Words => _words.AsSpan(0, Delta.WordsFor(Length));

    /// <summary>The backing array (at least the list's words): valid until this reader's share is released.</summary>
    internal ulong[] Array => _words;

    /// <summary>A reader's share of <paramref name="last"/> if it still holds <paramref name="version"/>, else a fresh copy that becomes the last.</summary>
    public static SharedSnapshot Share(ref SharedSnapshot? last, long version, ReadOnlySpan<ulong> words, long length)
    {
        if (last is { } current && current.Version == version && current.TryAddReader()) return current;
        last = new SharedSnapshot(words, length, version);
        return last;
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _readers) == 0) WordBuffers.Return(_words);
    }

    // A stream may release the last share on another thread while the owner shares: never revive a released copy.
    private bool TryAddReader()
    {
        for (int n = Volatile.Read(ref _readers); n > 0; n = Volatile.Read(ref _readers))
            if (Interlocked.CompareExchange(ref _readers, n + 1, n) == n) return true;
        return false;
    }
}
