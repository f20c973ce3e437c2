using RouterHost.Samples.Capture.Fuzz;
using SharpFuzz;

// Capture.Fuzz TARGET                  run TARGET under afl-fuzz (SharpFuzz's in-process fork server; input on stdin)
// Capture.Fuzz run TARGET PATH...      run each file (or each file of each folder) once, in-process; exit 1 on a crash
// Capture.Fuzz seed FOLDER             write every target's seeds to FOLDER/<target>/
var targets = new Dictionary<string, Func<ITarget>>(StringComparer.Ordinal)
{
    ["settings"] = () => new SettingsTarget(),
    ["packet"] = () => new PacketTarget(),
};

if (args.Length == 1 && targets.TryGetValue(args[0], out Func<ITarget>? make))
{
    ITarget? target = null;
    Fuzzer.Run(stream =>
    {
        // Made inside the first run: instrumented code may run only once SharpFuzz mapped the coverage bitmap.
        target ??= make();
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        target.Run(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    });
    return 0;
}

if (args.Length >= 3 && args[0] == "run" && targets.TryGetValue(args[1], out make))
{
    ITarget target = make();
    int failed = 0;
    int total = 0;
    foreach (string path in args.Skip(2).SelectMany<string, string>(p => Directory.Exists(p) ? Directory.GetFiles(p).Order(StringComparer.Ordinal) : [p]))
    {
        total++;
        try
        {
            target.Run(File.ReadAllBytes(path));
        }
        catch (Exception e)
        {
            failed++;
            Console.Error.WriteLine($"{path}: {e}");
        }
    }

    Console.WriteLine($"{args[1]}: {total} inputs, {failed} crashed");
    return failed == 0 ? 0 : 1;
}

if (args.Length == 2 && args[0] == "seed")
{
    foreach ((string name, Func<ITarget> create) in targets)
    {
        ITarget target = create();
        string folder = Path.Combine(args[1], name);
        Directory.CreateDirectory(folder);
        foreach (KeyValuePair<string, byte[]> seed in target.Seeds())
        {
            target.Run(seed.Value);
            File.WriteAllBytes(Path.Combine(folder, seed.Key), seed.Value);
        }
    }

    return 0;
}

Console.Error.WriteLine($"usage: Capture.Fuzz TARGET | run TARGET PATH... | seed FOLDER   (targets: {string.Join(", ", targets.Keys)})");
return 2;
