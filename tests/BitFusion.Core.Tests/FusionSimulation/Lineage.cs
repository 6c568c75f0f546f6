namespace BitFusion.Core.Tests.FusionSimulation;

/// <summary>
/// The one true history of a primary's list across its incarnations: the state after each seq. A recovery at seq
/// s must reproduce the state at s exactly; what later incarnations write past s replaces what earlier ones wrote.
/// </summary>
internal sealed class Lineage
{
    private readonly Dictionary<long, (ulong[] Words, long Length)> _states = new() { [0] = ([], 0) };
    private readonly Dictionary<(ulong Client, ulong Seq), long> _origins = [];

    /// <summary>Records the state after <paramref name="seq"/>; false if the client's write was already applied in this history.</summary>
    public bool Record(long seq, ReadOnlySpan<ulong> words, long length, (ulong Client, ulong Seq) write)
    {
        _states[seq] = (words.ToArray(), length);
        if (_origins.TryGetValue(write, out long first) && first < seq) return false;
        _origins[write] = seq;
        return true;
    }

    public bool Matches(long seq, ReadOnlySpan<ulong> words, long length, out string why)
    {
        why = "";
        if (!_states.TryGetValue(seq, out (ulong[] Words, long Length) state))
        {
            why = $"no incarnation ever reached seq {seq}";
            return false;
        }
        if (state.Length != length || !state.Words.AsSpan().SequenceEqual(words))
        {
            why = $"the state at seq {seq} has {length} bits, but the history has {state.Length} bits{(state.Length == length ? " and other words" : "")}";
            return false;
        }
        return true;
    }

    public void ForgetAbove(long seq)
    {
        foreach (long s in _states.Keys.Where(k => k > seq).ToArray()) _states.Remove(s);
        foreach (var (write, s) in _origins.Where(o => o.Value > seq).ToArray()) _origins.Remove(write);
    }
}
