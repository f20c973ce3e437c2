using RouterHost.Fuzz;
using SharpFuzz;

// RouterHost.Fuzz TARGET                    run TARGET under afl-fuzz (SharpFuzz's in-process fork server; input on stdin)
// RouterHost.Fuzz run TARGET PATH...        run each file (or each file of each folder) once, in-process; exit 1 on a crash
// RouterHost.Fuzz seed TARGET|all FOLDER    write the targets' seed inputs to FOLDER/<target>/
// RouterHost.Fuzz list | describe           name (and describe) every target
const int MaxInput = 1 << 20;

if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.Error.WriteLine("usage: RouterHost.Fuzz TARGET | run TARGET PATH... | seed TARGET|all FOLDER | list | describe");
    Console.Error.WriteLine($"targets: {string.Join(", ", FuzzTargets.Names)}");
    return 2;
}

switch (args[0])
{
    case "list":
        foreach (string name in FuzzTargets.Names)
        {
            Console.WriteLine(name);
        }

        return 0;

    case "describe":
        foreach (string name in FuzzTargets.Names)
        {
            IFuzzTarget target = FuzzTargets.Create(name)!;
            Console.WriteLine($"{name}\t{target.Description}");
            (target as IDisposable)?.Dispose();
        }

        return 0;

    case "seed" when args.Length == 3:
        foreach (string name in args[1] == "all" ? FuzzTargets.Names : [args[1]])
        {
            IFuzzTarget target = FuzzTargets.Create(name) ?? throw new ArgumentException($"no fuzz target named '{name}' (known: {string.Join(", ", FuzzTargets.Names)})");
            string folder = Path.Combine(args[2], name);
            Directory.CreateDirectory(folder);
            foreach (KeyValuePair<string, byte[]> seed in target.Seeds())
            {
                // A seed must pass its own target: a seed that crashes would stop afl-fuzz before it starts.
                target.Run(seed.Value);
                File.WriteAllBytes(Path.Combine(folder, seed.Key), seed.Value);
            }

            Console.WriteLine($"{name}: {Directory.GetFiles(folder).Length} seed files in {folder}");
        }

        return 0;

    case "run" when args.Length >= 3:
    {
        IFuzzTarget target = FuzzTargets.Create(args[1]) ?? throw new ArgumentException($"no fuzz target named '{args[1]}' (known: {string.Join(", ", FuzzTargets.Names)})");
        int failed = 0;
        int total = 0;
        foreach (string path in args.Skip(2).SelectMany<string, string>(p => Directory.Exists(p) ? Directory.GetFiles(p).Order(StringComparer.Ordinal) : [p]))
        {
            total++;
            try
            {
                target.Run(File.ReadAllBytes(path));
            }
            catch (Exception ex)
            {
                failed++;
                Console.WriteLine($"CRASH {path}: {ex}");
            }
        }

        Console.WriteLine($"{target.Name}: {total} inputs, {failed} crashed");
        return failed == 0 ? 0 : 1;
    }

    default:
    {
        if (!FuzzTargets.Names.Contains(args[0]))
        {
            throw new ArgumentException($"no fuzz target named '{args[0]}' (known: {string.Join(", ", FuzzTargets.Names)})");
        }

        // Created inside the first run: instrumented code may only run once SharpFuzz has set up the coverage map.
        IFuzzTarget? target = null;
        byte[] buffer = new byte[MaxInput];
        Fuzzer.Run(stream =>
        {
            target ??= FuzzTargets.Create(args[0])!;
            int length = 0;
            int read;
            while (length < buffer.Length && (read = stream.Read(buffer, length, buffer.Length - length)) > 0)
            {
                length += read;
            }

            target.Run(buffer.AsSpan(0, length));
        });
        return 0;
    }
}
