namespace BitFusion.Heap.Symbols;

/// <summary>
/// Reads the type names ILC mangles into MethodTable symbols: dots become underscores, the owning assembly is
/// prefixed (<c>BitFusion_Core_BitFusion_Core_Bits_PackedBitList</c>), generic arguments follow in angle brackets
/// separated by <c>__</c>, arrays are <c>__Array&lt;T&gt;</c>. The mapping back is lossy (an underscore in a
/// name looks like a dot), so names are shown in the runtime's style as far as they can be recovered, and a
/// requested full name also matches when its mangled form ends the symbol's name.
/// </summary>
public static class AotTypeName
{
    /// <summary>The name given to GC static bases, whose MethodTables ILC names <c>__GCStaticEEType_&lt;bitmap&gt;</c>.</summary>
    public const string GcStatics = "(GC statics)";

    private const string CoreLibPrefix = "S_P_CoreLib_";
    private const string ArrayPrefix = "__Array<";

    private static readonly Dictionary<string, string> Primitives = new()
    {
        ["Boolean"] = "Boolean", ["Char"] = "Char", ["Int8"] = "SByte", ["UInt8"] = "Byte", ["Int16"] = "Int16",
        ["UInt16"] = "UInt16", ["Int32"] = "Int32", ["UInt32"] = "UInt32", ["Int64"] = "Int64", ["UInt64"] = "UInt64",
        ["IntPtr"] = "IntPtr", ["UIntPtr"] = "UIntPtr", ["Single"] = "Single", ["Double"] = "Double",
        ["String"] = "String", ["Object"] = "Object",
    };

    /// <summary>The runtime-style name, e.g. <c>System.UInt64[]</c> or <c>BitFusion.Core.Bits.PackedBitList</c>.</summary>
    public static string Display(string mangled) =>
        mangled == GcStatics ? mangled : Parse(mangled.Replace(CoreLibPrefix, "", StringComparison.Ordinal));

    /// <summary>True when <paramref name="mangled"/> names the type <paramref name="fullName"/>.</summary>
    public static bool Matches(string mangled, string fullName)
    {
        if (Display(mangled) == fullName) return true;
        string want = fullName.Replace('.', '_').Replace('`', '_').Replace('+', '_');
        string have = mangled.Replace(CoreLibPrefix, "", StringComparison.Ordinal);
        return have == want || have.EndsWith("_" + want, StringComparison.Ordinal);
    }

    private static string Parse(string s)
    {
        if (s.StartsWith(ArrayPrefix, StringComparison.Ordinal) && s.EndsWith('>')) return Parse(s[ArrayPrefix.Length..^1]) + "[]";
        int open = s.IndexOf('<');
        if (open < 0 || !s.EndsWith('>')) return Dotted(s);
        var args = new List<string>();
        int depth = 0, start = open + 1;
        for (int i = start; i < s.Length - 1; i++)
        {
            if (s[i] == '<') depth++;
            else if (s[i] == '>') depth--;
            else if (depth == 0 && s[i] == '_' && s[i + 1] == '_' && i > start)
            {
                args.Add(Parse(s[start..i]));
                start = i + 2;
                i++;
            }
        }
        args.Add(Parse(s[start..^1]));
        return $"{Dotted(s[..open])}[{string.Join(",", args)}]";
    }

    /// <summary>Underscores back to dots, the assembly prefix dropped when the namespace repeats it, arity as `n.</summary>
    private static string Dotted(string name)
    {
        if (Primitives.TryGetValue(name, out string? primitive)) return "System." + primitive;
        string[] parts = name.Split('_');
        int skip = 0;
        for (int k = parts.Length / 2; k >= 1 && skip == 0; k--)
            if (parts.AsSpan(0, k).SequenceEqual(parts.AsSpan(k, k))) skip = k;
        var result = new System.Text.StringBuilder();
        for (int i = skip; i < parts.Length; i++)
        {
            bool arity = i > skip && parts[i].Length > 0 && parts[i].All(char.IsAsciiDigit);
            if (i > skip) result.Append(arity ? '`' : '.');
            result.Append(parts[i]);
        }
        return result.ToString();
    }
}
