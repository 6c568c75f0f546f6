using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace BitFusion.Bench;

/// <summary>
/// Intel ISA-L, loaded at run time when the machine has it (Debian: libisal2 / libisal-dev), so the benchmarks
/// build and run everywhere and only compare against it where it exists. <see cref="PathVariable"/> names another
/// build instead (Debian's 2.30 has no GFNI kernels; a 2.31+ build from source has). Calls go through unmanaged
/// function pointers: no marshalling stubs between the timer and the library.
/// </summary>
internal static unsafe class IsaL
{
    public const string Name = "ISA-L";

    /// <summary>xor_gen fails (returns 1) for fewer than two sources.</summary>
    public const int MinXorSources = 2;

    /// <summary>gf_vect_mad's documented minimum length.</summary>
    public const int MinMadLength = 64;

    /// <summary>Environment variable with the path of the ISA-L shared library to load instead of the system's.</summary>
    public const string PathVariable = "BITFUSION_ISAL";

    private static readonly string[] LibraryNames = ["libisal.so.2", "libisal.so", "isal"];

    /// <summary>Exported by ISA-L builds with GF2P8AFFINEQB kernels (2.31 and later), for AVX-512 and for AVX2 CPUs.</summary>
    private const string Gfni512Export = "ec_encode_data_avx512_gfni", Gfni256Export = "ec_encode_data_avx2_gfni";

    private static readonly delegate* unmanaged<int, int, byte*, byte*, void> InitTablesFn;
    private static readonly delegate* unmanaged<int, int, int, byte*, byte**, byte**, void> EncodeDataFn;
    private static readonly delegate* unmanaged<int, int, int, byte*, byte*, byte*, void> VectMadFn;
    private static readonly delegate* unmanaged<int, int, void**, int> XorGenFn;

    static IsaL()
    {
        string? chosen = Environment.GetEnvironmentVariable(PathVariable);
        foreach (string name in string.IsNullOrEmpty(chosen) ? LibraryNames : [chosen])
        {
            if (!NativeLibrary.TryLoad(name, out nint library)) continue;
            if (NativeLibrary.TryGetExport(library, "ec_init_tables", out nint init)
                && NativeLibrary.TryGetExport(library, "ec_encode_data", out nint encode)
                && NativeLibrary.TryGetExport(library, "gf_vect_mad", out nint mad)
                && NativeLibrary.TryGetExport(library, "xor_gen", out nint xor))
            {
                InitTablesFn = (delegate* unmanaged<int, int, byte*, byte*, void>)init;
                EncodeDataFn = (delegate* unmanaged<int, int, int, byte*, byte**, byte**, void>)encode;
                VectMadFn = (delegate* unmanaged<int, int, int, byte*, byte*, byte*, void>)mad;
                XorGenFn = (delegate* unmanaged<int, int, void**, int>)xor;
                Status = $"ISA-L found ({name}; {EncodeKernels(library)}): comparing against xor_gen, gf_vect_mad and ec_encode_data.";
                return;
            }
            Status = $"{name} loaded but lacks the ISA-L erasure-code exports: ISA-L comparisons skipped.";
            return;
        }
        Status = string.IsNullOrEmpty(chosen)
            ? "ISA-L not found (install libisal2 or libisal-dev): ISA-L comparisons skipped."
            : $"ISA-L not found at {PathVariable}={chosen}: ISA-L comparisons skipped.";
    }

    public static bool IsAvailable => XorGenFn != null;

    /// <summary>
    /// Which kernels ec_encode_data runs here: the library's GFNI kernels only when the CPU has GFNI too (ISA-L
    /// picks by CPU at its first call, as below), so a build with them says so without claiming they run.
    /// </summary>
    private static string EncodeKernels(nint library)
    {
        bool avx512 = Avx512BW.IsSupported && Avx512F.VL.IsSupported;
        bool has512 = NativeLibrary.TryGetExport(library, Gfni512Export, out _), has256 = NativeLibrary.TryGetExport(library, Gfni256Export, out _);
        string runs = avx512 && Gfni.IsSupported && has512 ? "AVX-512 GFNI"
            : Avx2.IsSupported && Gfni.IsSupported && has256 ? "AVX2 GFNI"
            : avx512 ? "AVX-512"
            : Avx2.IsSupported ? "AVX2"
            : Avx.IsSupported ? "AVX"
            : "SSE";
        string built = has512 || has256 ? "has GFNI kernels" : "has no GFNI kernels";
        string cpu = Gfni.IsSupported ? "" : ", this CPU has no GFNI";
        return $"ec_encode_data runs its {runs} kernels; the library {built}{cpu}";
    }

    public static string Status { get; }

    /// <summary>
    /// Expands a rows × k row-major coefficient matrix into ISA-L's 32-byte-per-coefficient tables (built once,
    /// outside the timed calls, as an ISA-L user would).
    /// </summary>
    public static byte[] InitTables(int k, int rows, ReadOnlySpan<byte> matrix)
    {
        Require();
        if (matrix.Length != k * rows) throw new ArgumentException($"Matrix has {matrix.Length} cells; {rows} × {k} expected.", nameof(matrix));
        byte[] tables = new byte[32 * k * rows];
        fixed (byte* a = matrix)
        fixed (byte* t = tables)
            InitTablesFn(k, rows, a, t);
        return tables;
    }

    /// <summary>coding[r] = Σ_s a[r, s] · data[s]: overwrites the outputs, unlike our kernels, which XOR into them.</summary>
    public static void EncodeData(nuint length, int k, int rows, byte[] tables, byte** data, byte** coding)
    {
        Require();
        fixed (byte* t = tables) EncodeDataFn(CheckedLength(length), k, rows, t, data, coding);
    }

    /// <summary>dest ^= c · src for the constant whose 32-byte table is given.</summary>
    public static void VectMad(nuint length, byte[] table, byte* src, byte* dest)
    {
        Require();
        if (length < MinMadLength) throw new ArgumentOutOfRangeException(nameof(length), length, $"gf_vect_mad needs at least {MinMadLength} bytes.");
        fixed (byte* t = table) VectMadFn(CheckedLength(length), 1, 0, t, src, dest);
    }

    /// <summary>array[vects - 1] = array[0] ^ … ^ array[vects - 2]: overwrites the destination. Pointers 32-byte aligned.</summary>
    public static void XorGen(int vects, nuint length, void** array)
    {
        Require();
        if (XorGenFn(vects, CheckedLength(length), array) != 0)
            throw new InvalidOperationException($"xor_gen rejected {vects} vectors of {length} bytes (it needs at least {MinXorSources} sources and 32-byte alignment).");
    }

    private static int CheckedLength(nuint length) =>
        length <= int.MaxValue ? (int)length : throw new ArgumentOutOfRangeException(nameof(length), length, "ISA-L takes lengths as int.");

    private static void Require()
    {
        if (!IsAvailable) throw new InvalidOperationException(Status);
    }
}
