// Every test here runs a cluster of real processes; on a small machine two at once would starve each other.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
