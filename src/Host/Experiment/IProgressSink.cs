namespace BitFusion.Host.Experiment;

/// <summary>Where a run reports what it is doing, for the live display.</summary>
internal interface IProgressSink
{
    void Configuration(string description, int totalOps, int totalRecoveries);

    void Appended(int ops);

    void Recovered(string what);
}
