using BitFusion.Heap.Dump;

namespace BitFusion.Heap.Symbols;

/// <summary>
/// The name of every type in a heap graph. Under the JIT the runtime's BulkType events carry full names; a
/// native-AOT runtime sends only MethodTable addresses, which are looked up in the binary's symbols.
/// </summary>
internal sealed class TypeNames
{
    private readonly string[] _display;
    private readonly string?[] _mangled;

    private TypeNames(string[] display, string?[] mangled)
    {
        _display = display;
        _mangled = mangled;
    }

    public int Count => _display.Length;

    public static TypeNames Resolve(ulong[] typeIds, IReadOnlyDictionary<ulong, TypeRecord> records, ElfSymbolFile? symbols)
    {
        var display = new string[typeIds.Length];
        var mangled = new string?[typeIds.Length];
        for (int t = 0; t < typeIds.Length; t++)
        {
            ulong id = typeIds[t];
            records.TryGetValue(id, out TypeRecord? r);
            if (r is { Name.Length: > 0 })
            {
                display[t] = r.Name;
            }
            else if (r is not null && symbols is not null && id >= r.ModuleId && symbols.MethodTables.TryGetValue(id - r.ModuleId, out string? m))
            {
                mangled[t] = m;
                display[t] = AotTypeName.Display(m);
            }
            else
            {
                display[t] = $"(unnamed type 0x{id:x})";
            }
        }
        return new TypeNames(display, mangled);
    }

    public string Display(int type) => _display[type];

    public bool Matches(int type, string fullName) =>
        _mangled[type] is { } m ? AotTypeName.Matches(m, fullName) : _display[type] == fullName;
}
