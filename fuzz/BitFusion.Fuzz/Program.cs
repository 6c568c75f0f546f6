using BitFusion.Fuzz;

// bitfusion-fuzz                 AFL++ persistent mode over stdin (see fuzz/README.md)
// bitfusion-fuzz --seeds DIR     write the seed corpus, built by the protocol's own writers
// bitfusion-fuzz --replay FILE…  run inputs once in-process, e.g. a crash AFL found
if (args is ["--seeds", var dir])
{
    using var seeding = new Targets();
    Console.WriteLine($"wrote {Seeds.Write(seeding, dir)} seeds to {dir}");
    return 0;
}
if (args is ["--replay", ..])
{
    using var replaying = new Targets();
    foreach (string file in args[1..])
    {
        replaying.Run(File.ReadAllBytes(file));
        Console.WriteLine($"{file}: ok");
    }
    return 0;
}
// Instrumented code may run only once SharpFuzz has mapped AFL's coverage memory, so the nodes are built inside.
Targets? targets = null;
SharpFuzz.Fuzzer.Run(stream =>
{
    targets ??= new Targets();
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    targets.Run(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
});
return 0;
