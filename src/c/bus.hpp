// sd-bus, owned and checked.
#pragma once
