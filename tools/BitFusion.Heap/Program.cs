return BitFusion.Heap.Cli.Run(args, Console.Out, Console.Error);
