using System.Numerics;

namespace BitFusion.Core.Abcast;

/// <summary>
/// The groups a multicast is addressed to, as a 64-bit mask: fixed size on the wire and in every pending entry,
/// and set operations without allocation. Group ids therefore run from 0 to 63.
/// </summary>
internal readonly record struct GroupSet(ulong Mask)
{
    public const int Capacity = 64;

    public bool IsEmpty => Mask == 0;

    public int Count => BitOperations.PopCount(Mask);

    public static GroupSet Of(int group) => new(Bit(group));

    public static GroupSet Of(params ReadOnlySpan<int> groups)
    {
        ulong mask = 0;
        foreach (int g in groups) mask |= Bit(g);
        return new GroupSet(mask);
    }

    public bool Contains(int group) => (uint)group < Capacity && (Mask & (1UL << group)) != 0;

    public GroupSet With(int group) => new(Mask | Bit(group));

    public Enumerator GetEnumerator() => new(Mask);

    public override string ToString() => "{" + string.Join(",", ToList()) + "}";

    private List<int> ToList()
    {
        var list = new List<int>(Count);
        foreach (int g in this) list.Add(g);
        return list;
    }

    private static ulong Bit(int group)
    {
        if ((uint)group >= Capacity)
            throw new ArgumentOutOfRangeException(nameof(group), group, $"Group ids run from 0 to {Capacity - 1}.");
        return 1UL << group;
    }

    public struct Enumerator(ulong mask)
    {
        private ulong _rest = mask;

        public int Current { get; private set; }

        public bool MoveNext()
        {
            if (_rest == 0) return false;
            Current = BitOperations.TrailingZeroCount(_rest);
            _rest &= _rest - 1;
            return true;
        }
    }
}
