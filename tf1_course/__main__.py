import sys

from tf1_course.cli import main

sys.exit(main())
