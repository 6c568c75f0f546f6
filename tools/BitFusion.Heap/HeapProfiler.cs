using System.Diagnostics;
using BitFusion.Heap.Dump;
using BitFusion.Heap.Graph;
using BitFusion.Heap.Report;
using BitFusion.Heap.Symbols;

namespace BitFusion.Heap;

/// <summary>
/// Profiles a live .NET process: one heap walk over EventPipe, a dominator tree over the object graph, and the
/// bytes each backup object retains. This is the tool's in-process API; the command line only formats it.
/// </summary>
public static class HeapProfiler
{
    public static HeapReport Profile(int processId, HeapProfileOptions options)
    {
        Validate(options);
        string? executable = ExecutablePath(processId);
        var clock = Stopwatch.StartNew();
        HeapWalk walk = HeapDumpCollector.Collect(processId, options.BufferMegabytes, options.Timeout);
        double collectSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();

        var notes = new List<string>();
        HeapGraph graph = HeapGraphBuilder.Build(walk, out ulong[] typeIds, out int unresolvedEdges);
        bool runtimeNamesTypes = walk.Types.Values.Any(t => t.Name.Length > 0);
        ElfSymbolFile? symbols = null;
        if (!runtimeNamesTypes)
        {
            symbols = FindSymbols(executable, options.SymbolFile, notes)
                ?? throw new HeapProfilerException(HeapProfilerError.Unsupported,
                    $"Process {processId} sent no type names, as a native-AOT runtime does, and no symbol file with its MethodTables was found " +
                    $"({(executable is null ? "its executable is unknown" : $"looked for {executable}.dbg and {executable}")}). " +
                    "Publish with the default StripSymbols so the .dbg file sits beside the binary, pass --symbols FILE, " +
                    "or run the process on the JIT runtime (dotnet <app>.dll) for space measurements.");
            notes.Add($"native AOT: the runtime sends no type names; they come from the MethodTable symbols in {symbols.Path}.");
        }
        TypeNames names = TypeNames.Resolve(typeIds, walk.Types, symbols);
        if (!walk.Roots.Any(r => r.Kind == RootKind.Stack))
            notes.Add($"the runtime reported no stack or static roots (as on native AOT); {Objects(graph.OrphanCount)} that no reported root reaches " +
                      "were attached to the super-root, so references from thread stacks are not seen.");
        if (unresolvedEdges > 0)
            notes.Add($"{unresolvedEdges} references point outside the walked heap (e.g. frozen objects) and were left out.");

        graph = MarkShared(graph, names, options.SharedTypes, notes);
        RetainedSizes retained = RetainedSizes.Compute(graph, graph.Sizes);
        return BuildReport(processId, runtimeNamesTypes ? "CoreCLR" : "native AOT", walk, graph, names, retained, options, notes,
            collectSeconds, clock.Elapsed.TotalSeconds);
    }

    private static HeapReport BuildReport(int processId, string runtime, HeapWalk walk, HeapGraph graph, TypeNames names, RetainedSizes retained,
        HeapProfileOptions options, List<string> notes, double collectSeconds, double analyzeSeconds)
    {
        var isBackup = new bool[names.Count];
        foreach (string wanted in options.BackupTypes)
        {
            bool found = false;
            for (int t = 0; t < names.Count; t++)
                if (names.Matches(t, wanted)) found = isBackup[t] = true;
            if (!found) notes.Add($"no object of type {wanted} is on the heap.");
        }

        long bytes = 0;
        var perType = new (long Objects, long Bytes)[names.Count];
        var backups = new List<BackupEntry>();
        for (int v = 1; v < graph.NodeCount; v++)
        {
            int t = graph.Types[v];
            bytes += graph.Sizes[v];
            perType[t].Objects++;
            perType[t].Bytes += graph.Sizes[v];
            if (isBackup[t]) backups.Add(Describe(v, graph, names, retained));
        }
        backups.Sort((a, b) => a.Type != b.Type ? string.CompareOrdinal(a.Type, b.Type) : b.RetainedBytes.CompareTo(a.RetainedBytes));

        List<TypeTotal> top = Enumerable.Range(0, names.Count)
            .OrderByDescending(t => perType[t].Bytes)
            .Take(options.TopTypes)
            .Select(t => new TypeTotal(names.Display(t), perType[t].Objects, perType[t].Bytes))
            .ToList();
        var totals = new HeapTotals(graph.NodeCount - 1, bytes, walk.Edges.Length, graph.ReportedRootCount, graph.OrphanCount,
            names.Count, walk.Gc.Number, walk.GcSeconds, collectSeconds, analyzeSeconds);
        return new HeapReport(processId, runtime, totals, backups, top, notes);
    }

    private static HeapGraph MarkShared(HeapGraph graph, TypeNames names, IReadOnlyList<string> sharedTypes, List<string> notes)
    {
        var isShared = new bool[names.Count];
        for (int t = 0; t < names.Count; t++) isShared[t] = sharedTypes.Any(s => names.Matches(t, s));
        var shared = new List<int>();
        for (int v = 1; v < graph.NodeCount; v++)
            if (isShared[graph.Types[v]]) shared.Add(v);
        if (shared.Count == 0) return graph;
        notes.Add($"shared types ({string.Join(", ", sharedTypes)}): {Objects(shared.Count)}, counted toward no backup.");
        return graph.WithShared(shared);
    }

    private static BackupEntry Describe(int node, HeapGraph graph, TypeNames names, RetainedSizes retained)
    {
        var parts = new Dictionary<int, (long Objects, long Bytes)>();
        long objects = 0;
        foreach (int v in retained.Subtree(node))
        {
            objects++;
            (long o, long b) = parts.GetValueOrDefault(graph.Types[v]);
            parts[graph.Types[v]] = (o + 1, b + graph.Sizes[v]);
        }
        List<TypeTotal> list = parts
            .OrderByDescending(p => p.Value.Bytes)
            .Select(p => new TypeTotal(names.Display(p.Key), p.Value.Objects, p.Value.Bytes))
            .ToList();
        return new BackupEntry(names.Display(graph.Types[node]), graph.Addresses[node], graph.Sizes[node], retained.Retained[node], objects, list);
    }

    private static ElfSymbolFile? FindSymbols(string? executable, string? explicitFile, List<string> notes)
    {
        string? wantedBuildId = executable is null ? null : TryBuildId(executable);
        if (explicitFile is not null)
        {
            ElfSymbolFile file;
            try
            {
                file = ElfSymbolFile.Load(explicitFile);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                throw new HeapProfilerException(HeapProfilerError.Unsupported, $"Cannot read the symbol file {explicitFile}: {e.Message}", e);
            }
            if (file.MethodTables.Count == 0)
                throw new HeapProfilerException(HeapProfilerError.Unsupported, $"The symbol file {explicitFile} holds no MethodTable symbols.");
            if (wantedBuildId is not null && file.BuildId is not null && file.BuildId != wantedBuildId)
                throw new HeapProfilerException(HeapProfilerError.Unsupported,
                    $"The symbol file {explicitFile} belongs to another build (build id {file.BuildId}; the process runs {wantedBuildId}).");
            return file;
        }
        if (executable is null) return null;
        foreach (string candidate in new[] { executable + ".dbg", executable })
        {
            if (!File.Exists(candidate)) continue;
            ElfSymbolFile file;
            try
            {
                file = ElfSymbolFile.Load(candidate);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                notes.Add($"{candidate} could not be read: {e.Message}");
                continue;
            }
            if (file.MethodTables.Count == 0) continue;
            if (wantedBuildId is not null && file.BuildId is not null && file.BuildId != wantedBuildId)
            {
                notes.Add($"{candidate} belongs to another build (build id {file.BuildId}, the process runs {wantedBuildId}).");
                continue;
            }
            return file;
        }
        return null;
    }

    private static string? TryBuildId(string path)
    {
        try
        {
            return ElfSymbolFile.ReadBuildId(path);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The process's executable, read before the dump (the link vanishes once the process exits).</summary>
    private static string? ExecutablePath(int processId)
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            string? target = File.ResolveLinkTarget($"/proc/{processId}/exe", returnFinalTarget: true)?.FullName;
            return target?.EndsWith(" (deleted)", StringComparison.Ordinal) == true ? null : target;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string Objects(int n) => n == 1 ? "1 object" : $"{n} objects";

    private static void Validate(HeapProfileOptions options)
    {
        if (options.BackupTypes.Count == 0 || options.BackupTypes.Any(string.IsNullOrWhiteSpace))
            throw new ArgumentException("Give at least one backup type, each a full type name such as BitFusion.Core.Fusion.FusedBackup.", nameof(options));
        if (options.SharedTypes.Any(string.IsNullOrWhiteSpace))
            throw new ArgumentException("A shared type must be a full type name such as BitFusion.Core.Fusion.FusionCode.", nameof(options));
        if (options.TopTypes < 0) throw new ArgumentOutOfRangeException(nameof(options), options.TopTypes, "The number of top types cannot be negative.");
        if (options.BufferMegabytes is < 1 or > 4096)
            throw new ArgumentOutOfRangeException(nameof(options), options.BufferMegabytes, "The buffer must be 1..4096 MB.");
        if (options.Timeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), options.Timeout, "The timeout must be positive.");
    }
}
