"""The brand catalog: brands.yaml as a table, and the sensor that follows the file."""
