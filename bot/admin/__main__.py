from bot.admin.cli import main

raise SystemExit(main())
