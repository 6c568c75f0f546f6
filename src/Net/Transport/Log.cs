namespace BitFusion.Net.Transport;

/// <summary>One-line log records on standard error, prefixed with the process's name, so a cluster's logs interleave readably.</summary>
internal static class Log
{
    private static readonly Lock Gate = new();

    public static string Name { get; set; } = "bitfusion";

    public static bool Verbose { get; set; }

    /// <summary>Only warnings: for benchmarks and the experiment, whose output is a report.</summary>
    public static bool Quiet { get; set; }

    public static void Info(string message)
    {
        if (!Quiet) Write("info", message);
    }

    public static void Warn(string message) => Write("warn", message);

    public static void Debug(string message)
    {
        if (Verbose) Write("debug", message);
    }

    private static void Write(string level, string message)
    {
        lock (Gate) Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {Name} {level}: {message}");
    }
}
