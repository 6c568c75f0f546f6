using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using BitFusion.Core.Bits;
using BitFusion.Core.Fusion;

// Usage: BitFusion.HeapTarget SPEC...
//   list:BITS              a PackedBitList holding BITS random bits
//   backup:N:F:BITS        a FusionCode(N, F), N primary lists of BITS bits each, and the F backups encoded from them
//   lonebackup:N:BITS      a FusionCode(N, 1) referenced only by its one backup, as in a backup server that keeps
//                          nothing else: the code must still count as shared, not as the backup's
//   objects:COUNT          COUNT small objects, to make a large heap
//   exit-on-gc             end the process abruptly (no runtime shutdown) as soon as a GC runs after "ready"
// For every list and backup it prints "object TYPE FIELD=ELEMENT[LENGTH] ...", one entry per array field, then
// "ready PID", and holds everything until standard input closes or gives a line.
namespace BitFusion.HeapTarget;

public static class Program
{
    // Static so the objects stay reachable while the process waits; the codes sit here as well as in the backups,
    // the way a backup service keeps its code, so they are shared and must not count in a backup's bytes.
    private static readonly List<object> Held = [];
    private static bool _exitOnGc;

    public static int Main(string[] args)
    {
        var random = new Random(12345);
        try
        {
            foreach (string spec in args) Build(spec, random);
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
        foreach (object o in Held)
            if (o is PackedBitList or FusedBackup) Console.WriteLine(Describe(o));
        if (_exitOnGc) ExitOnNextGc();
        Console.WriteLine($"ready {Environment.ProcessId}");
        Console.Out.Flush();
        Console.In.ReadLine();
        GC.KeepAlive(Held);
        return 0;
    }

    private static void Build(string spec, Random random)
    {
        string[] parts = spec.Split(':');
        switch (parts[0])
        {
            case "list" when parts.Length == 2:
                Held.Add(RandomList(Parse(parts[1]), random));
                break;
            case "objects" when parts.Length == 2:
                var many = new object[Parse(parts[1])];
                for (int i = 0; i < many.Length; i++) many[i] = new object();
                Held.Add(many);
                break;
            case "exit-on-gc" when parts.Length == 1:
                _exitOnGc = true;
                break;
            case "lonebackup" when parts.Length == 3:
                FusionCode lone = new(Parse(parts[1]), 1);
                Held.Add(lone.EncodeBackup(0, RandomPrimaries(lone, Parse(parts[2]), random)));
                break;
            case "backup" when parts.Length == 4:
                var code = new FusionCode(Parse(parts[1]), Parse(parts[2]));
                List<PrimaryState> primaries = RandomPrimaries(code, Parse(parts[3]), random);
                Held.Add(code);
                for (int j = 0; j < code.Faults; j++) Held.Add(code.EncodeBackup(j, primaries));
                break;
            default:
                throw new FormatException($"Bad spec '{spec}': expected list:BITS, backup:N:F:BITS, lonebackup:N:BITS, objects:COUNT or exit-on-gc.");
        }
    }

    // An unreachable finalizable object: the first GC after "ready" (the profiler's induced one) queues its
    // finalizer, which kills the process mid-session, before the runtime flushes the session's buffers.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void ExitOnNextGc() => _ = new ExitOnFinalize();

    private sealed class ExitOnFinalize
    {
        ~ExitOnFinalize() => Exit(0);

        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "_exit")]
        private static extern void Exit(int status);
    }

    private static List<PrimaryState> RandomPrimaries(FusionCode code, int bits, Random random)
    {
        var primaries = new List<PrimaryState>();
        for (int i = 0; i < code.Primaries; i++)
        {
            PackedBitList list = RandomList(bits, random);
            primaries.Add(new PrimaryState(list.Words.ToArray(), list.Count, 1));
            list.Dispose();
        }
        return primaries;
    }

    private static PackedBitList RandomList(int bits, Random random)
    {
        var list = new PackedBitList(bits);
        var words = new ulong[Delta.WordsFor(bits)];
        random.NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(words.AsSpan()));
        list.AppendRange(words, bits);
        return list;
    }

    private static int Parse(string s) =>
        int.TryParse(s, out int v) && v >= 0 ? v : throw new FormatException($"'{s}' is not a non-negative integer.");

    private static string Describe(object o) => o switch
    {
        PackedBitList l => Describe(typeof(PackedBitList), l),
        FusedBackup b => Describe(typeof(FusedBackup), b),
        _ => throw new ArgumentException(o.GetType().FullName),
    };

    private static string Describe([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.NonPublicFields | DynamicallyAccessedMemberTypes.PublicFields)] Type type, object o)
    {
        var line = new System.Text.StringBuilder($"object {type.FullName}");
        foreach (FieldInfo f in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            if (f.GetValue(o) is Array a)
                line.Append($" {f.Name}={a.GetType().GetElementType()!.Name}[{a.Length}]");
        return line.ToString();
    }
}
