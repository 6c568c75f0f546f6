using System.Buffers.Binary;
using System.Text;

namespace BitFusion.Heap.Symbols;

/// <summary>
/// The parts of a 64-bit little-endian ELF file a native-AOT heap dump needs: the symbols of its MethodTables
/// (<c>_ZTV&lt;length&gt;&lt;mangled type name&gt;</c> and <c>__GCStaticEEType_…</c>, as ILC names them) keyed by their offset from the image
/// base, and the GNU build id, to check a <c>.dbg</c> file belongs to the running binary.
/// </summary>
public sealed class ElfSymbolFile
{
    private const uint SectionSymbolTable = 2;
    private const uint SectionNote = 7;
    private const uint ProgramLoad = 1;
    private const uint NoteGnuBuildId = 3;

    private ElfSymbolFile(string path, Dictionary<ulong, string> methodTables, string? buildId)
    {
        Path = path;
        MethodTables = methodTables;
        BuildId = buildId;
    }

    public string Path { get; }

    /// <summary>Offset from the image base → mangled type name (without the <c>_ZTV&lt;n&gt;</c> prefix).</summary>
    public IReadOnlyDictionary<ulong, string> MethodTables { get; }

    /// <summary>The GNU build id as lowercase hex, or null if the file has none.</summary>
    public string? BuildId { get; }

    /// <summary>Reads only the build id, cheaply enough to check the running binary.</summary>
    public static string? ReadBuildId(string path) => Load(path, withSymbols: false).BuildId;

    public static ElfSymbolFile Load(string path) => Load(path, withSymbols: true);

    private static ElfSymbolFile Load(string path, bool withSymbols)
    {
        byte[] file = File.ReadAllBytes(path);
        ReadOnlySpan<byte> f = file;
        if (f.Length < 64 || !f[..4].SequenceEqual("\u007fELF"u8))
            throw new InvalidDataException($"{path} is not an ELF file.");
        if (f[4] != 2 || f[5] != 1) throw new InvalidDataException($"{path} is not a 64-bit little-endian ELF file.");
        ulong phoff = U64(f, 0x20), shoff = U64(f, 0x28);
        int phentsize = U16(f, 0x36), phnum = U16(f, 0x38), shentsize = U16(f, 0x3A), shnum = U16(f, 0x3C);

        ulong imageBase = ulong.MaxValue;
        for (int i = 0; i < phnum; i++)
        {
            ReadOnlySpan<byte> ph = Slice(f, phoff + (ulong)(i * phentsize), 56);
            if (U32(ph, 0) == ProgramLoad) imageBase = Math.Min(imageBase, U64(ph, 16));
        }
        if (imageBase == ulong.MaxValue) imageBase = 0;

        var sections = new (uint Name, uint Type, ulong Offset, ulong Size, uint Link)[shnum];
        for (int i = 0; i < shnum; i++)
        {
            ReadOnlySpan<byte> sh = Slice(f, shoff + (ulong)(i * shentsize), 64);
            sections[i] = (U32(sh, 0), U32(sh, 4), U64(sh, 24), U64(sh, 32), U32(sh, 40));
        }

        string? buildId = null;
        foreach (var s in sections)
            if (s.Type == SectionNote) buildId ??= FindBuildId(Slice(f, s.Offset, s.Size));

        var methodTables = new Dictionary<ulong, string>();
        if (withSymbols)
            foreach (var s in sections)
            {
                if (s.Type != SectionSymbolTable || s.Link >= shnum) continue;
                ReadOnlySpan<byte> symbols = Slice(f, s.Offset, s.Size);
                ReadOnlySpan<byte> strings = Slice(f, sections[s.Link].Offset, sections[s.Link].Size);
                for (int at = 0; at + 24 <= symbols.Length; at += 24)
                {
                    uint nameOffset = U32(symbols, at);
                    if (nameOffset >= strings.Length) continue;
                    ReadOnlySpan<byte> name = strings[(int)nameOffset..];
                    name = name[..Math.Max(0, name.IndexOf((byte)0))];
                    string? typeName = name.StartsWith("_ZTV"u8) ? StripLengthPrefix(Encoding.UTF8.GetString(name[4..]))
                        : name.StartsWith("__GCStaticEEType_"u8) ? AotTypeName.GcStatics
                        : null;
                    ulong value = U64(symbols, at + 8);
                    if (typeName is not null && value >= imageBase) methodTables.TryAdd(value - imageBase, typeName);
                }
            }
        return new ElfSymbolFile(path, methodTables, buildId);
    }

    private static string? StripLengthPrefix(string s)
    {
        int digits = 0;
        while (digits < s.Length && char.IsAsciiDigit(s[digits])) digits++;
        if (digits == 0 || !int.TryParse(s.AsSpan(0, digits), out int length) || length != s.Length - digits) return null;
        return s[digits..];
    }

    private static string? FindBuildId(ReadOnlySpan<byte> notes)
    {
        int at = 0;
        while (at + 12 <= notes.Length)
        {
            int nameSize = (int)U32(notes, at), descSize = (int)U32(notes, at + 4);
            uint type = U32(notes, at + 8);
            int name = at + 12, desc = name + ((nameSize + 3) & ~3);
            if (nameSize < 0 || descSize < 0 || desc + descSize > notes.Length) return null;
            if (type == NoteGnuBuildId && notes.Slice(name, nameSize).SequenceEqual("GNU\0"u8))
                return Convert.ToHexStringLower(notes.Slice(desc, descSize));
            at = desc + ((descSize + 3) & ~3);
        }
        return null;
    }

    private static ReadOnlySpan<byte> Slice(ReadOnlySpan<byte> f, ulong offset, ulong size)
    {
        if (offset > (ulong)f.Length || size > (ulong)f.Length - offset) throw new InvalidDataException("ELF structure runs past the end of the file.");
        return f.Slice((int)offset, (int)size);
    }

    private static ushort U16(ReadOnlySpan<byte> s, int at) => BinaryPrimitives.ReadUInt16LittleEndian(s[at..]);
    private static uint U32(ReadOnlySpan<byte> s, int at) => BinaryPrimitives.ReadUInt32LittleEndian(s[at..]);
    private static ulong U64(ReadOnlySpan<byte> s, int at) => BinaryPrimitives.ReadUInt64LittleEndian(s[at..]);
}
